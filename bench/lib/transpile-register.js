/**
 * Loads `.ts` files the way a production build would emit them: TypeScript's
 * own transpiler with the repo's tsconfig (CommonJS, ES2022, decorator
 * metadata), cached on disk. The bench children use this instead of tsx,
 * whose esbuild output wraps every named function and arrow-function field in
 * `__name(...)` (Object.defineProperty on each closure): that gives every
 * per-connection closure its own property array and hidden class, about
 * 4 KB per connection and extra CPU that a tsc build does not have.
 *
 * Plain JavaScript because it has to run before anything can load TypeScript.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const root = path.resolve(__dirname, '..', '..');
const cacheDir = path.join(root, 'bench', 'results', '.transpiled');
// The cache key needs no TypeScript: its version and the tsconfig text. The
// compiler itself (a few hundred ms to load) is only loaded on a cache miss.
const salt = [
  JSON.parse(fs.readFileSync(require.resolve('typescript/package.json'), 'utf8')).version,
  fs.readFileSync(path.join(root, 'tsconfig.json'), 'utf8'),
].join('\n');

let transpile = null;
function transpiler() {
  if (transpile) return transpile;
  const ts = require('typescript');
  const { config, error } = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
  if (error) throw new Error(`bench: cannot read tsconfig.json: ${ts.flattenDiagnosticMessageText(error.messageText, '\n')}`);
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, root);
  const compilerOptions = {
    ...parsed.options,
    module: ts.ModuleKind.CommonJS,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    inlineSourceMap: false,
    noEmit: false,
  };
  transpile = (source, fileName) => ts.transpileModule(source, { compilerOptions, fileName }).outputText;
  return transpile;
}

fs.mkdirSync(cacheDir, { recursive: true });

require.extensions['.ts'] = function loadTypeScript(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const key = crypto.createHash('sha1').update(salt).update(filename).update(source).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  let output;
  try {
    output = fs.readFileSync(cached, 'utf8');
  } catch {
    output = transpiler()(source, filename);
    // Write then rename, so a concurrent child never reads half a file.
    const tmp = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, output);
    fs.renameSync(tmp, cached);
  }
  module._compile(output, filename);
};
