'use strict';
// `npm install` in a checkout and git installs run `prepare`: build dist/ so
// the package can be imported. Skipped when it would be wasted:
// - `npm pack` / `npm publish` run `prepack` (which builds), then `prepare` too;
// - `npx switchyard` in a checkout links the checkout and runs `prepare`, but
//   bin/switchyard.js runs the sources there, not dist/.
const { execSync } = require('node:child_process');

const command = process.env.npm_command;
if (command === 'pack' || command === 'publish' || command === 'exec') process.exit(0);
execSync('npm run build', { stdio: 'inherit' });
