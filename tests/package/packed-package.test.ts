/**
 * The package as a user gets it: `npm pack` (which builds dist/ through
 * prepack), the tarball installed into a fresh project without any optional
 * peer, and there everything a user does first: require and import it, type
 * it, run the bin, serve a JavaScript app over a real WebSocket, use the
 * communicators, import and type the browser client (`/client`). attw and publint check the tarball.
 *
 * Installs come from the npm cache (`--prefer-offline`): after `npm ci` every
 * dependency is in it, so this needs no network in CI.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { connectClient } from '../helpers';
import { waitForOutput, type OutputListener } from '../helpers/child-output';

const ROOT = path.join(__dirname, '..', '..');
const FIXTURES = path.join(__dirname, 'fixtures');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const ATTW = path.join(ROOT, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
const PUBLINT = path.join(ROOT, 'node_modules', 'publint', 'src', 'cli.js');
const manifest = require('../../package.json') as { peerDependencies: Record<string, string> };
const PEERS = Object.keys(manifest.peerDependencies);

// A loaded 2-core machine builds in ~30 s and installs in ~20 s; leave room.
const SETUP_MS = 420_000;
const STEP_MS = 180_000;

/**
 * The environment of a child command: without the npm_* variables of an
 * enclosing `npm test`, and without the suite's REDIS_URL (the fresh project
 * has no redis package; served apps use the embedded layer).
 */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && key !== 'REDIS_URL' && key !== 'CHANNEL_LAYER_URL') env[key] = value;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

/** Run a command to completion, whatever its exit code; rejects only when it runs past `timeoutMs`. */
function runStatus(command: string, args: string[], cwd: string, timeoutMs = STEP_MS): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env: cleanEnv(), timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(new Error(`${command} ${args.join(' ')}: ${error.message}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
      } else {
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      }
    });
  });
}

/** Run a command that must succeed; rejects with its output otherwise. */
async function run(command: string, args: string[], cwd: string, timeoutMs = STEP_MS): Promise<{ stdout: string; stderr: string }> {
  const result = await runStatus(command, args, cwd, timeoutMs);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
  return result;
}

/** A long-running child in its own process group (npx starts the bin as a grandchild), with its output. */
function start(command: string, args: string[], cwd: string): { child: ChildProcess; output: () => string; waitFor: (re: RegExp, ms: number) => Promise<string> } {
  const child = spawn(command, args, { cwd, env: cleanEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const listeners = new Set<OutputListener>();
  const grew = (chunk: Buffer): void => {
    output += chunk.toString();
    listeners.forEach((listener) => listener());
  };
  child.stdout!.on('data', grew);
  child.stderr!.on('data', grew);
  return {
    child,
    output: () => output,
    waitFor: (re, ms) => waitForOutput(child, listeners, () => re.exec(output), `output matching ${re}`, ms, () => output),
  };
}

/** SIGTERM to the whole group, SIGKILL after `graceMs`; resolves once the leader has exited. */
function stopGroup(child: ChildProcess, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = (signal: NodeJS.Signals): void => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    kill('SIGTERM');
  });
}

let work: string;
let tarball: string;
let shipped: string[];
let project: string;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'switchyard-pack-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], ROOT, SETUP_MS / 2);
  const [info] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = path.join(work, info!.filename);
  shipped = info!.files.map((f) => f.path);

  project = path.join(work, 'project');
  await fs.mkdir(project);
  await fs.writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }, null, 2));
  for (const file of await fs.readdir(FIXTURES)) await fs.copyFile(path.join(FIXTURES, file), path.join(project, file));
  // @types/node is what any TypeScript project on Node has; nothing else is added.
  const typesNode = (require('@types/node/package.json') as { version: string }).version;
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, `@types/node@${typesNode}`], project, SETUP_MS / 2);
}, SETUP_MS);

afterAll(async () => {
  if (work) await fs.rm(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('ships the build, the bin, the node10 stub and the docs, and no sources or source maps', () => {
    for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/testing/index.js', 'dist/testing/index.d.ts', 'dist/cli/main.js', 'bin/switchyard.js', 'testing/package.json', 'client/index.mjs', 'client/index.d.mts', 'README.md', 'LICENSE', 'package.json']) {
      expect(shipped).toContain(file);
    }
    const unwanted = shipped.filter((f) => /^(src|tests|demo|bench|scripts)\//.test(f) || (/\.tsx?$/.test(f) && !f.endsWith('.d.ts')) || f.endsWith('.map'));
    expect(unwanted).toEqual([]);
  });

  it('has Markdown that links only to files it ships', async () => {
    const broken: string[] = [];
    for (const doc of shipped.filter((f) => f.endsWith('.md'))) {
      const text = await fs.readFile(path.join(ROOT, doc), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z][a-z0-9+.-]*:|^#/i.test(target!)) continue; // a URL or an anchor in the same page
        const file = path.posix.normalize(path.posix.join(path.posix.dirname(doc), target!.split('#')[0]!));
        if (!shipped.includes(file) && !shipped.some((f) => f.startsWith(`${file.replace(/\/$/, '')}/`))) {
          broken.push(`${doc} -> ${target} (add it to "files" in package.json, or link to the repository)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('passes attw (every entry point under node10, node16 from CJS and ESM, bundler) and publint', async () => {
    // The browser client is an ES module only (a browser imports it without a bundler): checked as such.
    const attw = await run(process.execPath, [ATTW, tarball, '--format', 'ascii', '--no-color', '--exclude-entrypoints', './client'], work);
    expect(attw.stdout).toMatch(/No problems found/);
    // Exit code 0 (run() checks it): no problem outside the CommonJS resolutions the esm-only profile ignores.
    const client = await run(process.execPath, [ATTW, tarball, '--format', 'ascii', '--no-color', '--entrypoints', './client', '--profile', 'esm-only'], work);
    expect(client.stdout).toMatch(/node16 \(from ESM\): 🟢/);
    expect(client.stdout).toMatch(/bundler: 🟢/);
    const publint = await run(process.execPath, [PUBLINT, 'run', tarball, '--strict', '--level', 'suggestion'], work);
    expect(publint.stdout).toMatch(/All good!/);
  }, STEP_MS);
});

describe('installed into a fresh project', () => {
  it('installs no optional peer dependency', async () => {
    const present: string[] = [];
    for (const peer of PEERS) {
      if (await fs.stat(path.join(project, 'node_modules', peer)).catch(() => null)) present.push(peer);
    }
    expect(present).toEqual([]);
  });

  it('loads from CommonJS, and each optional integration names the package to install', async () => {
    const { stdout } = await run(process.execPath, ['cjs.cjs'], project);
    expect(stdout).toContain('cjs ok');
  }, STEP_MS);

  it('imports from an ES module, with every export by name', async () => {
    const { stdout } = await run(process.execPath, ['esm.mjs'], project);
    expect(stdout).toMatch(/^esm ok \d+ \d+/m);
  }, STEP_MS);

  it.each([
    ['node16', { module: 'node16', moduleResolution: 'node16' }, ['consumer.ts', 'consumer.mts']],
    ['bundler', { module: 'esnext', moduleResolution: 'bundler' }, ['consumer.ts', 'consumer.mts']],
    ['node10', { module: 'commonjs', moduleResolution: 'node10' }, ['consumer.ts']],
  ])('type-checks a consumer under moduleResolution %s with skipLibCheck false', async (name, resolution, files) => {
    const config = {
      compilerOptions: { ...resolution, target: 'es2022', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
      files,
    };
    await fs.writeFile(path.join(project, `tsconfig.${name}.json`), JSON.stringify(config, null, 2));
    await run(process.execPath, [TSC, '-p', `tsconfig.${name}.json`], project);
  }, STEP_MS);

  it('runs the communicators of switchyard-channels/testing', async () => {
    const { stdout } = await run(process.execPath, ['communicator.js'], project);
    expect(stdout).toContain('communicator ok');
  }, STEP_MS);

  // --offline: run the installed bin, never fetch the unrelated registry package named switchyard.
  it('runs npx switchyard --help', async () => {
    const { stdout } = await run('npx', ['--offline', 'switchyard', '--help'], project);
    expect(stdout).toMatch(/^Usage: switchyard <command>/);
  }, STEP_MS);

  it('serves a JavaScript app with npx switchyard serve: a real WebSocket round trip', async () => {
    const server = start('npx', ['--offline', 'switchyard', 'serve', 'app.js', '--port', '0'], project);
    try {
      const url = await server.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 60_000);
      const client = await connectClient(`${url.replace(/^http/, 'ws')}/ws/lobby/`);
      client.sendJson({ text: 'over the wire' });
      expect(await client.nextJson(10_000)).toEqual({ echo: 'over the wire', room: 'lobby' });
      await client.close();
    } finally {
      await stopGroup(server.child, 10_000);
    }
    expect(server.output()).not.toMatch(/tsx/);
  }, STEP_MS);

  it('says in one line how to get tsx when asked to serve a TypeScript module without it', async () => {
    const result = await runStatus('npx', ['--offline', 'switchyard', 'serve', 'app.ts', '--port', '0'], project);
    expect(result.code).toBe(1);
    const lines = result.stderr.split('\n').filter((line) => line.includes('tsx'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/app\.ts.*npm install -D tsx/);
  }, STEP_MS);

  it("serves a TypeScript module with the user's own tsx", async () => {
    // A folder of the project whose node_modules has tsx (the checkout's copy).
    const withTsx = path.join(project, 'with-tsx');
    await fs.mkdir(path.join(withTsx, 'node_modules'), { recursive: true });
    await fs.symlink(path.join(ROOT, 'node_modules', 'tsx'), path.join(withTsx, 'node_modules', 'tsx'));
    for (const file of ['app.ts', 'echo-types.ts']) await fs.copyFile(path.join(FIXTURES, file), path.join(withTsx, file));
    const server = start('npx', ['--offline', 'switchyard', 'serve', 'with-tsx/app.ts:app', '--port', '0'], project);
    try {
      await server.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/, 60_000);
    } finally {
      await stopGroup(server.child, 10_000);
    }
  }, STEP_MS);
});

describe('the built root module', () => {
  it('loads none of the optional peers', async () => {
    // They are installed in the checkout (devDependencies), so a stray import would load them.
    for (const peer of PEERS) expect(() => require.resolve(peer, { paths: [ROOT] })).not.toThrow();
    const probe = `
      require(${JSON.stringify(path.join(ROOT, 'dist'))});
      const peers = ${JSON.stringify(PEERS)};
      const loaded = Object.keys(require.cache).filter((f) => peers.some((p) => f.includes('/node_modules/' + p + '/')));
      console.log(JSON.stringify(loaded));`;
    const { stdout } = await run(process.execPath, ['-e', probe], ROOT);
    expect(JSON.parse(stdout)).toEqual([]);
  }, STEP_MS);
});
