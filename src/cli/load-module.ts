/**
 * Loading the user's module and finding its application. JavaScript always
 * loads; TypeScript loads when a loader is registered (bin/switchyard.js
 * registers tsx in a source checkout) or else with the user's own tsx,
 * registered on first need. `path/to/module:name` picks an export.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Application } from '../application';
import { ModuleLoadFailed, NoApplicationExport } from '../errors';

/** Export names tried, in order, when the specifier names none. */
export const APPLICATION_EXPORTS = ['default', 'application', 'app'] as const;

/** What a module specifier points at. */
export interface ModuleTarget {
  /** Absolute path of the file. */
  file: string;
  /** The export named after `:`, if any. */
  exportName: string | undefined;
  /** As the user typed it, for messages. */
  specifier: string;
}

/** Split `file[:export]` and resolve the file against `cwd` (extensions optional). */
export function resolveModule(specifier: string, cwd: string): ModuleTarget {
  let file = specifier;
  let exportName: string | undefined;
  const colon = specifier.lastIndexOf(':');
  // A colon after the last path separator names an export (`app.ts:application`).
  if (colon > 0 && colon > Math.max(specifier.lastIndexOf('/'), specifier.lastIndexOf('\\'))) {
    file = specifier.slice(0, colon);
    exportName = specifier.slice(colon + 1) || undefined;
  }
  const base = path.resolve(cwd, file);
  let resolved: string;
  try {
    resolved = require.resolve(base);
  } catch {
    resolved = [base, ...['.ts', '.js', '.cjs', '.mjs', '/index.ts', '/index.js'].map((ext) => base + ext)].find(isFile) ?? '';
    if (resolved === '') {
      throw new ModuleLoadFailed(specifier, `cannot find module ${JSON.stringify(file)} (looked for ${base} and ${base}.{ts,js}, relative to ${cwd})`);
    }
  }
  return { file: resolved, exportName, specifier };
}

function isFile(candidate: string): boolean {
  try {
    return fs.statSync(candidate).isFile();
  } catch {
    return false;
  }
}

/** Load the module's exports; a module that throws while loading is reported with its error. */
export async function loadModule(target: ModuleTarget): Promise<Record<string, unknown>> {
  try {
    return requireUserModule(target);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_REQUIRE_ESM' || code === 'ERR_REQUIRE_ASYNC_MODULE') {
      // An ES module: a real dynamic import (TypeScript would turn `import()` into require()).
      const importEsm = new Function('u', 'return import(u)') as (u: string) => Promise<Record<string, unknown>>;
      try {
        return await importEsm(require('node:url').pathToFileURL(target.file).href);
      } catch (inner) {
        throw loadFailure(target, inner);
      }
    }
    throw loadFailure(target, error);
  }
}

const TYPESCRIPT = /\.[cm]?tsx?$/;

let tsxRegistered = false;

/**
 * The error of a TypeScript module that no loader compiled (it fails to parse
 * before any of it runs). With a loader registered, a SyntaxError is the
 * module's own and is reported as such.
 */
function notCompiled(target: ModuleTarget, error: unknown): boolean {
  if (!TYPESCRIPT.test(target.file) || tsxRegistered || require.extensions?.['.ts'] !== undefined) return false;
  return (error as { code?: string })?.code === 'ERR_UNKNOWN_FILE_EXTENSION' || error instanceof SyntaxError;
}

/**
 * `require` the module. A TypeScript module that fails to parse because no
 * loader is registered is retried once with tsx from the user's project
 * (the module's folder, then the working directory): the installed package
 * runs compiled JavaScript and does not depend on tsx itself.
 */
function requireUserModule(target: ModuleTarget): Record<string, unknown> {
  try {
    return require(target.file) as Record<string, unknown>;
  } catch (error) {
    if (!notCompiled(target, error)) throw error;
    let tsx: string;
    try {
      tsx = require.resolve('tsx/cjs', { paths: [path.dirname(target.file), process.cwd()] });
    } catch {
      throw error;
    }
    require(tsx);
    tsxRegistered = true;
    return require(target.file) as Record<string, unknown>;
  }
}

function loadFailure(target: ModuleTarget, error: unknown): ModuleLoadFailed {
  const err = error as Error & { code?: string };
  if (notCompiled(target, error)) {
    return new ModuleLoadFailed(
      target.specifier,
      `cannot load ${target.file}: a TypeScript module needs tsx in your project: npm install -D tsx (or build it to JavaScript)`,
      { cause: error },
    );
  }
  return new ModuleLoadFailed(target.specifier, `${target.specifier} threw while loading: ${err?.stack ?? String(error)}`, { cause: error });
}

/** The application a module exports: the named export, else default, application or app. */
export function findApplication(moduleExports: Record<string, unknown>, target: ModuleTarget): Application {
  const names = target.exportName !== undefined ? [target.exportName] : APPLICATION_EXPORTS;
  for (const name of names) {
    let value = moduleExports[name];
    // A CommonJS `module.exports = app` arrives as the namespace itself.
    if (name === 'default' && value === undefined && typeof moduleExports === 'function') value = moduleExports;
    // esModuleInterop double wrapping: { default: { default: app } }.
    if (name === 'default' && value !== null && typeof value === 'object' && typeof (value as { default?: unknown }).default === 'function') {
      value = (value as { default: unknown }).default;
    }
    if (typeof value === 'function') return value as Application;
  }
  const found = Object.keys(moduleExports).filter((k) => k !== '__esModule');
  // (The parameter is not called `exports`: in CommonJS output that would shadow this module's own.)
  const file = target.exportName !== undefined ? target.specifier.slice(0, target.specifier.lastIndexOf(':')) : target.specifier;
  throw new NoApplicationExport(target.specifier, names, found, file);
}
