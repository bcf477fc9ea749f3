import * as path from 'node:path';
import { findApplication, loadModule, resolveModule } from '../../../src/cli/load-module';
import { ModuleLoadFailed, NoApplicationExport } from '../../../src/errors';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'cli');
const app = async (): Promise<void> => undefined;

describe('resolveModule', () => {
  it('resolves relative to cwd, with or without the extension, and splits :export', () => {
    expect(resolveModule('echo-app.ts', FIXTURES)).toMatchObject({ file: path.join(FIXTURES, 'echo-app.ts'), exportName: undefined });
    expect(resolveModule('echo-app', FIXTURES).file).toBe(path.join(FIXTURES, 'echo-app.ts'));
    expect(resolveModule('./named-export.ts:chatApp', FIXTURES)).toMatchObject({
      file: path.join(FIXTURES, 'named-export.ts'),
      exportName: 'chatApp',
    });
  });

  it('says where it looked for a missing module', () => {
    expect(() => resolveModule('missing.ts', FIXTURES)).toThrow(ModuleLoadFailed);
    expect(() => resolveModule('missing.ts', FIXTURES)).toThrow(/cannot find module "missing.ts".*relative to/);
  });
});

describe('loadModule', () => {
  it('loads a TypeScript module', async () => {
    const exports = await loadModule(resolveModule('echo-app.ts', FIXTURES));
    expect(typeof exports.default).toBe('function');
  });

  it('reports a module that throws while loading', async () => {
    await expect(loadModule(resolveModule('throws.ts', FIXTURES))).rejects.toMatchObject({
      code: 'ERR_MODULE_LOAD_FAILED',
      message: expect.stringContaining('fixture exploded on import'),
    });
  });
});

describe('findApplication', () => {
  const target = (exportName?: string) => ({ file: '/x/app.ts', exportName, specifier: exportName ? `app.ts:${exportName}` : 'app.ts' });

  it('prefers default, then application, then app', () => {
    const other = async (): Promise<void> => undefined;
    expect(findApplication({ default: app, application: other }, target())).toBe(app);
    expect(findApplication({ application: app, app: other }, target())).toBe(app);
    expect(findApplication({ app }, target())).toBe(app);
  });

  it('accepts module.exports = app and a double-wrapped default', () => {
    expect(findApplication(app as unknown as Record<string, unknown>, target())).toBe(app);
    expect(findApplication({ default: { default: app } }, target())).toBe(app);
  });

  it('uses only the named export when one is given', () => {
    expect(findApplication({ chat: app }, target('chat'))).toBe(app);
    expect(() => findApplication({ default: app }, target('chat'))).toThrow(/looked for export const chat/);
  });

  it('names what it looked for and what the module exports', () => {
    let error: unknown;
    try {
      findApplication({ settings: {}, application: 42 }, target());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NoApplicationExport);
    expect((error as Error).message).toContain('looked for export default, export const application, export const app');
    expect((error as Error).message).toContain('it exports settings, application');
  });
});
