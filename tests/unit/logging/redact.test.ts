import {
  redactFields,
  redactHeaders,
  redactQueryString,
  redactSubprotocols,
  redactText,
  redactUrl,
} from '../../../src/logging/redact';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

describe('redaction', () => {
  it('hides URL passwords and credential query parameters, keeping the rest byte for byte', () => {
    expect(redactUrl('redis://user:secret@cache:6379/0?prefix=chat')).toBe('redis://user:***@cache:6379/0?prefix=chat');
    expect(redactUrl('/ws/chat/lobby/?token=abc&room=1')).toBe('/ws/chat/lobby/?token=***&room=1');
    expect(redactUrl('wss://h/ws/?access_token=abc&x=%20y')).toBe('wss://h/ws/?access_token=***&x=%20y');
    expect(redactQueryString('api_key=1&sessionid=2&page=3')).toBe('api_key=***&sessionid=***&page=3');
  });

  it('hides Authorization, Cookie and Set-Cookie, and the token of a bearer subprotocol offer', () => {
    expect(
      redactHeaders({
        authorization: `Bearer ${JWT}`,
        cookie: 'sessionid=abc',
        'set-cookie': ['a=1', 'b=2'],
        'sec-websocket-protocol': `bearer, ${JWT}, chat`,
        origin: 'https://example.com',
      }),
    ).toEqual({
      authorization: '***',
      cookie: '***',
      'set-cookie': '***',
      'sec-websocket-protocol': 'bearer, ***, chat',
      origin: 'https://example.com',
    });
    expect(redactSubprotocols(['chat', 'bearer', 'opaque-token'])).toEqual(['chat', 'bearer', '***']);
  });

  it('scrubs JWTs, bearer tokens and token=... pairs from free text', () => {
    const text = redactText(`invalid token ${JWT}; Authorization: Bearer abc.def; url /x?token=s3cret&a=1`);
    expect(text).not.toContain('eyJ');
    expect(text).not.toContain('abc.def');
    expect(text).not.toContain('s3cret');
    expect(text).toContain('a=1');
  });

  it('copies fields with credential keys replaced, errors serialized, cycles cut', () => {
    const cyclic: Record<string, unknown> = { name: 'x' };
    cyclic.self = cyclic;
    const error = Object.assign(new Error(`bad token ${JWT}`), { code: 'ERR_X' });
    const out = redactFields({ password: 'p', headers: { Cookie: 'c=1' }, err: error, cyclic, ok: true }) as Record<string, any>;
    expect(out.password).toBe('***');
    expect(out.headers.Cookie).toBe('***');
    expect(out.err).toMatchObject({ type: 'Error', code: 'ERR_X' });
    expect(out.err.message).not.toContain('eyJ');
    expect(out.cyclic.self).toBe('[circular]');
    expect(out.ok).toBe(true);
  });
});
