#!/usr/bin/env node
'use strict';
// Run the compiled CLI when the package is built; fall back to the TypeScript
// sources through tsx in a source checkout, so `npx switchyard` works in both.
const path = require('node:path');
const fs = require('node:fs');
const compiled = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (fs.existsSync(compiled)) {
  require(compiled).main(process.argv.slice(2));
} else {
  require('tsx/cjs');
  require(path.join(__dirname, '..', 'src', 'cli', 'main.ts')).main(process.argv.slice(2));
}
