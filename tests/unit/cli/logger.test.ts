import { PassThrough } from 'node:stream';
import { createLogger, redactUrl } from '../../../src/cli/logger';

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

describe('createLogger', () => {
  it('writes one prefixed line per call', () => {
    const stream = new PassThrough();
    const log = createLogger(stream);
    log('listening on http://127.0.0.1:1');
    log('stopped');
    expect(stream.read().toString()).toBe('[switchyard] listening on http://127.0.0.1:1\n[switchyard] stopped\n');
  });
});
