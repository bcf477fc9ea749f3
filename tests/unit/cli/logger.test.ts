import { PassThrough } from 'node:stream';
import { createCliLogger, redactUrl } from '../../../src/cli/logger';

describe('redactUrl', () => {
  it('hides passwords', () => {
    expect(redactUrl('redis://user:secret@cache:6379/0')).toBe('redis://user:***@cache:6379/0');
    expect(redactUrl('redis://:secret@cache:6379')).toBe('redis://:***@cache:6379');
    expect(redactUrl('rediss://cache:6380/1?capacity=5')).toBe('rediss://cache:6380/1?capacity=5');
    expect(redactUrl('memory://')).toBe('memory://');
  });
  it('hides what looks like a password in a string that is not a URL', () => {
    expect(redactUrl('not a url //u:pw@host')).toBe('not a url //u:***@host');
  });
});

describe('createCliLogger', () => {
  it('writes one prefixed line per call, the level named unless it is info', () => {
    const stream = new PassThrough();
    const log = createCliLogger({ stderr: stream, env: {} });
    log.info('listening on http://127.0.0.1:1');
    log.warn('layer not reachable yet');
    log.debug('not shown at the default level');
    log.info('stopped');
    expect(stream.read().toString()).toBe(
      '[switchyard] listening on http://127.0.0.1:1\n[switchyard] WARN layer not reachable yet\n[switchyard] stopped\n',
    );
  });

  it('takes its level and format from the command environment unless flags say otherwise', () => {
    const stream = new PassThrough();
    createCliLogger({ stderr: stream, env: { SWITCHYARD_LOG: 'debug' } }).debug('shown');
    createCliLogger({ stderr: stream, env: { SWITCHYARD_LOG: 'debug' } }, { level: 'info' }).debug('hidden');
    createCliLogger({ stderr: stream, env: {} }, { format: 'json' }).info({ port: 1 }, 'json line');
    const [text, json] = stream.read().toString().trim().split('\n');
    expect(text).toBe('[switchyard] DEBUG shown');
    expect(JSON.parse(json!)).toMatchObject({ level: 30, msg: 'json line', port: 1 });
  });
});
