import os from 'node:os';
import { UsageError } from '../../../src/errors';
import { extractWorkers, resolveWorkers } from '../../../src/cli/workers-option';

describe('serve --workers parsing', () => {
  it.each([
    [['app.js'], ['app.js'], undefined],
    [['app.js', '--workers', '4'], ['app.js'], 4],
    [['app.js', '--workers=2', '--port', '0'], ['app.js', '--port', '0'], 2],
    [['--workers', 'app.js'], ['app.js'], 'auto'],
    [['app.js', '--workers'], ['app.js'], 'auto'],
    [['app.js', '--workers', 'AUTO'], ['app.js'], 'auto'],
    [['app.js', '--workers', '--port', '0'], ['app.js', '--port', '0'], 'auto'],
  ] as const)('%j -> rest %j, workers %j', (argv, rest, workers) => {
    expect(extractWorkers(argv)).toEqual({ rest, workers });
  });

  it.each(['0', '257', '-1', '2.5', 'many'])('refuses --workers=%s with a usage error', (value) => {
    expect(() => extractWorkers(['app.js', `--workers=${value}`])).toThrow(UsageError);
    expect(() => extractWorkers(['app.js', `--workers=${value}`])).toThrow(/from 1 to 256, or auto/);
  });

  it('resolves auto to the core count and nothing to one process', () => {
    expect(resolveWorkers(undefined)).toBe(1);
    expect(resolveWorkers(3)).toBe(3);
    expect(resolveWorkers('auto')).toBe(os.availableParallelism());
  });
});
