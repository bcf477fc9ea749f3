/**
 * Clients for the fuzz harness that misbehave below the WebSocket library:
 * malformed handshakes over raw TCP, and protocol violations after a valid
 * handshake. Every client gives up after `capMs`, so a run is bounded even if
 * the server is not.
 */
import net from 'node:net';
import { handshakeRequest } from '../helpers/raw-tcp';
import type { Prng } from './random-input';
import { protocolViolation } from './random-input';

/** How a raw client ended. */
export interface RawOutcome {
  name: string;
  /** The server closed the TCP connection (or sent a close frame) before the cap. */
  closedByServer: boolean;
  /** First line of the server's HTTP answer, if any (e.g. `HTTP/1.1 431 ...`). */
  statusLine?: string;
  /** Close code of the server's close frame (protocol violations). */
  closeCode?: number;
}

/** The malformed handshakes, by name: what to write (undefined: write nothing). */
export function malformedHandshakes(rng: Prng): Array<{ name: string; bytes: string | Buffer | undefined }> {
  return [
    { name: 'garbage', bytes: Buffer.concat([rng.bytes(rng.int(1, 300)), Buffer.from('\r\n\r\n')]) },
    { name: 'half headers then silence', bytes: 'GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n' },
    { name: 'silent TCP', bytes: undefined },
    { name: 'unsupported version', bytes: handshakeRequest('/echo', { 'Sec-WebSocket-Version': '99' }) },
    { name: 'malformed version', bytes: handshakeRequest('/echo', { 'Sec-WebSocket-Version': 'thirteen' }) },
    { name: 'missing key', bytes: 'GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n' },
    { name: 'POST upgrade', bytes: handshakeRequest('/echo').replace(/^GET/, 'POST') },
    { name: 'bad subprotocol header', bytes: handshakeRequest('/echo', { 'Sec-WebSocket-Protocol': 'a b,,"c"' }) },
    { name: 'huge headers', bytes: handshakeRequest('/echo', { 'X-Big': 'a'.repeat(rng.int(17_000, 40_000)) }) },
    { name: 'many headers', bytes: handshakeRequest('/echo', Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`X-H${i}`, 'v']))) },
    { name: 'bad request target', bytes: handshakeRequest('/%zz/\u0000') },
    { name: 'unknown route', bytes: handshakeRequest(`/nope/${rng.int(0, 1e6)}`) },
    {
      name: 'many subprotocols',
      bytes: handshakeRequest('/echo', { 'Sec-WebSocket-Protocol': Array.from({ length: rng.int(65, 2800) }, (_, i) => `p${i}`).join(',') }),
    },
    { name: 'upgrade without Host', bytes: handshakeRequest('/echo', { Host: null }) },
    { name: 'HTTP/1.0 upgrade', bytes: handshakeRequest('/echo').replace('HTTP/1.1', 'HTTP/1.0') },
  ];
}

/** Sends one malformed handshake and waits (at most `capMs`) for the server to answer or close. */
export function rawHandshake(port: number, name: string, bytes: string | Buffer | undefined, capMs: number): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let head = '';
    let settled = false;
    const finish = (closedByServer: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(cap);
      socket.destroy();
      const statusLine = head.split('\r\n')[0] || undefined;
      resolve({ name, closedByServer, statusLine });
    };
    const cap = setTimeout(() => finish(false), capMs);
    socket.on('error', () => finish(true)); // ECONNRESET: the server dropped us
    socket.on('data', (chunk: Buffer) => {
      if (head.length < 200) head += chunk.toString('latin1');
    });
    socket.on('close', () => finish(true));
    socket.on('connect', () => {
      if (bytes !== undefined) socket.write(bytes);
    });
  });
}

/** Completes a valid handshake, then breaks the protocol; waits for the server's close frame. */
export function rawProtocolViolation(port: number, rng: Prng, capMs: number): Promise<RawOutcome> {
  const violation = protocolViolation(rng);
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    let settled = false;
    const finish = (closedByServer: boolean, closeCode?: number): void => {
      if (settled) return;
      settled = true;
      clearTimeout(cap);
      socket.destroy();
      resolve({ name: `violation: ${violation.name}`, closedByServer, closeCode, statusLine: upgraded ? 'HTTP/1.1 101' : undefined });
    };
    const cap = setTimeout(() => finish(false), capMs);
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end === -1) return;
        if (!buffer.subarray(0, 12).toString('latin1').startsWith('HTTP/1.1 101')) return finish(true);
        upgraded = true;
        buffer = buffer.subarray(end + 4);
        socket.write(violation.bytes);
      }
      // Server frames are unmasked; skip pings and data until the close frame.
      while (buffer.length >= 2) {
        let length = buffer[1] & 0x7f;
        let offset = 2;
        if (length === 126) {
          if (buffer.length < 4) return;
          length = buffer.readUInt16BE(2);
          offset = 4;
        } else if (length === 127) {
          return finish(true); // no server frame here is that large
        }
        if (buffer.length < offset + length) return;
        if ((buffer[0] & 0x0f) === 0x8) return finish(true, length >= 2 ? buffer.readUInt16BE(offset) : 1005);
        buffer = buffer.subarray(offset + length);
      }
    });
    socket.on('connect', () => socket.write(handshakeRequest('/echo')));
  });
}
