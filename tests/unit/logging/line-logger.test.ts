import { createLogger } from '../../../src/logging/line-logger';
import { getLogger, setLogger } from '../../../src/logging/process-logger';

function sink(): { stream: { write(chunk: string): boolean }; lines: () => string[] } {
  let text = '';
  return {
    stream: {
      write(chunk: string) {
        text += chunk;
        return true;
      },
    },
    lines: () => text.split('\n').filter((line) => line !== ''),
  };
}

describe('createLogger', () => {
  it('writes one text line per event at or above its level; info lines carry no level word', () => {
    const out = sink();
    const log = createLogger({ stream: out.stream, level: 'info', env: {} });
    log.debug('hidden');
    log.info({ port: 8000 }, 'listening');
    log.warn('careful');
    log.error(new Error('boom'));
    expect(out.lines()).toEqual([
      '[switchyard] listening port=8000',
      '[switchyard] WARN careful',
      '[switchyard] ERROR boom err="Error: boom"',
    ]);
  });

  it('writes pino-style JSON lines with child bindings', () => {
    const out = sink();
    const log = createLogger({ stream: out.stream, format: 'json', level: 'debug', env: {} });
    log.child({ conn: 7 }).debug({ status: 403 }, 'handshake refused');
    const record = JSON.parse(out.lines()[0]!);
    expect(record).toMatchObject({ level: 20, conn: 7, status: 403, msg: 'handshake refused', pid: process.pid });
    expect(typeof record.time).toBe('number');
  });

  it('takes the level and format from SWITCHYARD_LOG / SWITCHYARD_LOG_FORMAT, an option winning', () => {
    const out = sink();
    createLogger({ stream: out.stream, env: { SWITCHYARD_LOG: 'debug', SWITCHYARD_LOG_FORMAT: 'json' } }).debug('from env');
    createLogger({ stream: out.stream, env: { SWITCHYARD_LOG: 'debug' }, level: 'warn' }).info('hidden');
    expect(out.lines()).toHaveLength(1);
    expect(JSON.parse(out.lines()[0]!)).toMatchObject({ level: 20, msg: 'from env' });
    const quiet = createLogger({ stream: out.stream, env: {} });
    expect(quiet.level).toBe('info');
    expect(quiet.isLevelEnabled?.('debug')).toBe(false);
  });

  it('redacts tokens and cookies in messages and fields', () => {
    const out = sink();
    const log = createLogger({ stream: out.stream, format: 'json', env: {} });
    log.info({ headers: { authorization: 'Bearer abc', cookie: 'sessionid=1' }, path: '/ws/?token=xyz' }, 'request ?token=xyz');
    const line = out.lines()[0]!;
    expect(line).not.toMatch(/abc|sessionid=1|xyz/);
  });

  it('refuses unknown levels and formats with ERR_INVALID_OPTION', () => {
    expect(() => createLogger({ level: 'loud' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    expect(() => createLogger({ format: 'xml' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});

describe('the process logger', () => {
  afterEach(() => setLogger(null));

  it('is the built-in one until setLogger() installs another, and null restores it', () => {
    const builtIn = getLogger();
    const out = sink();
    const mine = createLogger({ stream: out.stream, env: {} });
    setLogger(mine);
    expect(getLogger()).toBe(mine);
    getLogger().warn('to mine');
    expect(out.lines()).toEqual(['[switchyard] WARN to mine']);
    setLogger(null);
    expect(getLogger()).not.toBe(mine);
    expect(builtIn).toBeDefined();
    expect(() => setLogger({ info() {} } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});
