/**
 * Writing a complete HTTP response straight onto a socket: how a handshake is
 * refused, since a refused upgrade never gets a ServerResponse.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { InvalidEvent } from '../errors';
import { HTTP_TOKEN } from '../http-token';

// Field values may not carry CR, LF or NUL: that is what keeps a header from splitting the response.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const MANAGED = new Set(['connection', 'content-length', 'transfer-encoding', 'upgrade']);

/** Throws InvalidEvent unless `headers` is a list of safe `[name, value]` pairs. */
export function checkHeaders(headers: unknown, what: string): Array<[string, string]> {
  if (headers === undefined || headers === null) return [];
  if (!Array.isArray(headers)) throw new InvalidEvent(`${what}: headers must be an array of [name, value] pairs`);
  for (const pair of headers) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      throw new InvalidEvent(`${what}: each header must be a [name, value] pair of strings`);
    }
    if (!HTTP_TOKEN.test(pair[0])) throw new InvalidEvent(`${what}: invalid header name ${JSON.stringify(pair[0])}`);
    if (!FIELD_VALUE.test(pair[1])) throw new InvalidEvent(`${what}: header ${pair[0]} has a value with forbidden characters`);
  }
  return headers as Array<[string, string]>;
}

/**
 * Sends `status` with `body` and closes the socket once it is flushed.
 * `Connection`, `Content-Length` and `Transfer-Encoding` are set here; the
 * caller's versions of them are dropped.
 */
export function writeRawResponse(
  socket: Duplex,
  status: number,
  body: string | Uint8Array,
  headers: ReadonlyArray<readonly [string, string]> = [],
): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\nConnection: close\r\n`;
  let typed = false;
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (MANAGED.has(lower)) continue;
    if (lower === 'content-type') typed = true;
    head += `${name}: ${value}\r\n`;
  }
  if (!typed && payload.length > 0) head += 'Content-Type: text/plain; charset=utf-8\r\n';
  head += `Content-Length: ${payload.length}\r\n\r\n`;
  socket.once('finish', () => socket.destroy());
  socket.end(payload.length > 0 ? Buffer.concat([Buffer.from(head, 'latin1'), payload]) : Buffer.from(head, 'latin1'));
}
