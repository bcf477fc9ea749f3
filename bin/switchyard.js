#!/usr/bin/env node
'use strict';
// Which CLI runs. In a source checkout (src/ beside bin/, tsx installed) it is
// always the TypeScript sources through tsx, so a dist/ left by an earlier
// `npm run build` can never hide later edits. An installed package ships no
// src/ and runs the compiled dist/, which needs no tsx; a user's own .ts
// module is then loaded with the user's tsx (see src/cli/load-module.ts).
const path = require('node:path');
const fs = require('node:fs');

const root = path.join(__dirname, '..');
const source = path.join(root, 'src', 'cli', 'main.ts');
const compiled = path.join(root, 'dist', 'cli', 'main.js');

function resolveTsx() {
  try {
    return require.resolve('tsx/cjs', { paths: [root] });
  } catch {
    return undefined;
  }
}

const tsx = fs.existsSync(source) ? resolveTsx() : undefined;
if (tsx !== undefined) {
  require(tsx);
  require(source).main(process.argv.slice(2));
} else if (fs.existsSync(compiled)) {
  require(compiled).main(process.argv.slice(2));
} else {
  process.stderr.write(
    `switchyard: ${compiled} is missing: run "npm install" (it installs tsx and builds dist/) in ${root}\n`,
  );
  process.exitCode = 1;
}
