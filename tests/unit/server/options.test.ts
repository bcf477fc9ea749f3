import { SERVER_DEFAULTS, resolveServerOptions } from '../../../src/server/options';
import { checkHeaders } from '../../../src/server/raw-response';

describe('server options', () => {
  it('has the documented defaults', () => {
    expect(SERVER_DEFAULTS).toMatchObject({
      maxPayload: 1024 * 1024,
      pingInterval: 20_000,
      pongTimeout: 20_000,
      handshakeTimeout: 10_000,
      maxConnections: Infinity,
      perMessageDeflate: false,
      maxBufferedBytes: 1024 * 1024,
      closeTimeout: 5_000,
      maxQueuedMessages: 1024,
      maxHeaderSize: 16 * 1024,
      headersTimeout: 15_000,
      requestTimeout: 120_000,
      keepAliveTimeout: 5_000,
      idleSocketTimeout: 15_000,
      closeLayers: true,
    });
    expect(resolveServerOptions()).toMatchObject({ maxPayload: 1024 * 1024 });
  });

  it('overrides only what is given (undefined keeps the default)', () => {
    expect(resolveServerOptions({ maxPayload: 10, pingInterval: undefined })).toMatchObject({ maxPayload: 10, pingInterval: 20_000 });
  });

  it.each([
    [{ maxPayload: 0 }, /maxPayload/],
    [{ maxBufferedBytes: -1 }, /maxBufferedBytes/],
    [{ handshakeTimeout: Number.NaN }, /handshakeTimeout/],
    [{ pingInterval: -5 }, /pingInterval/],
    [{ maxConnections: 0 }, /maxConnections/],
    [{ headersTimeout: 10, requestTimeout: 5 }, /headersTimeout/],
    [{ onError: 'log' }, /onError/],
  ])('refuses %j with InvalidOption naming the option', (options, message) => {
    expect(() => resolveServerOptions(options as never)).toThrow(message);
    expect(() => resolveServerOptions(options as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});

describe('checkHeaders', () => {
  it('accepts [name, value] pairs and nothing', () => {
    expect(checkHeaders([['X-A', 'b c']], 'test')).toEqual([['X-A', 'b c']]);
    expect(checkHeaders(undefined, 'test')).toEqual([]);
  });

  it.each([
    [[['X-A', 'a\r\nInjected: 1']]],
    [[['Bad Name', 'v']]],
    [[['X-A']]],
    [{ 'x-a': 'b' }],
  ])('refuses %j (InvalidEvent)', (headers) => {
    expect(() => checkHeaders(headers, 'test')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_EVENT' }));
  });
});
