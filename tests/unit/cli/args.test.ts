import { parseCommandArgs, parsePort } from '../../../src/cli/args';
import { UsageError } from '../../../src/errors';

const OPTIONS = { port: { type: 'string', short: 'p' }, help: { type: 'boolean', short: 'h' } } as const;

describe('parseCommandArgs', () => {
  it('returns flags and positionals', () => {
    expect(parseCommandArgs('serve', ['app.ts', '--port', '9000'], OPTIONS)).toEqual({
      values: { port: '9000' },
      positionals: ['app.ts'],
    });
    expect(parseCommandArgs('serve', ['-p', '0', '-h'], OPTIONS).values).toEqual({ port: '0', help: true });
  });

  it('names an unknown flag and points at --help', () => {
    let error: unknown;
    try {
      parseCommandArgs('serve', ['--bogus'], OPTIONS);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({ code: 'ERR_USAGE', exitCode: 2 });
    expect((error as Error).message).toBe("switchyard serve: unknown option --bogus\nRun 'switchyard serve --help' for usage.");
  });

  it('names a flag missing its value by its long name', () => {
    expect(() => parseCommandArgs('serve', ['--port'], OPTIONS)).toThrow(/option --port needs a value/);
    expect(() => parseCommandArgs('serve', ['-p'], OPTIONS)).toThrow(/option --port needs a value/);
  });
});

describe('parsePort', () => {
  it('accepts 0..65535', () => {
    expect(parsePort('serve', '0', '--port')).toBe(0);
    expect(parsePort('serve', '65535', '--port')).toBe(65535);
  });
  it.each(['-1', '65536', 'abc', '80.5', ''])('refuses %j', (raw) => {
    expect(() => parsePort('serve', raw, 'PORT')).toThrow(/PORT must be a port number from 0 to 65535/);
  });
});
