/**
 * Raw TCP for tests that must misbehave on the wire: malformed handshakes,
 * invalid frames, clients that stop reading. Bytes are collected as they
 * arrive; every read waits for a condition with a bound.
 *
 * @example
 * const raw = await rawConnect(server.port);
 * raw.write(handshakeRequest('/ws/echo/'));
 * const response = await raw.readHttpHead();
 * expect(response.status).toBe(101);
 * raw.write(encodeFrame({ opcode: 0x1, payload: Buffer.from([0xc3, 0x28]) })); // invalid UTF-8
 * expect(await raw.readCloseFrame()).toMatchObject({ code: 1007 });
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { registerCloser } from './cleanup';
import { scaled } from '../setup/calibrate';
import { DEFAULT_WAIT_MS, WaitTimeout } from './deadline';

/** A parsed HTTP response head (the raw socket keeps the bytes after it). */
export interface HttpHead {
  status: number;
  headers: Record<string, string>;
}

/** One WebSocket frame as parsed from server output (servers do not mask). */
export interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** Builds a handshake request; override or drop (value null) any header. */
export function handshakeRequest(path: string, headers: Record<string, string | null> = {}): string {
  const base: Record<string, string | null> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  let request = `GET ${path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(base)) if (value !== null) request += `${name}: ${value}\r\n`;
  return `${request}\r\n`;
}

/** Encodes a client frame (masked unless `mask: false`). */
export function encodeFrame(options: { opcode: number; payload?: Buffer; fin?: boolean; mask?: boolean; rsv1?: boolean }): Buffer {
  const { opcode, payload = Buffer.alloc(0), fin = true, mask = true, rsv1 = false } = options;
  const length = payload.length;
  const header: number[] = [(fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode];
  const maskBit = mask ? 0x80 : 0;
  if (length < 126) header.push(maskBit | length);
  else if (length < 65536) header.push(maskBit | 126, length >> 8, length & 0xff);
  else {
    header.push(maskBit | 127, 0, 0, 0, 0);
    header.push((length >>> 24) & 0xff, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff);
  }
  if (!mask) return Buffer.concat([Buffer.from(header), payload]);
  const key = randomBytes(4);
  const masked = Buffer.alloc(length);
  for (let i = 0; i < length; i++) masked[i] = payload[i] ^ key[i & 3];
  return Buffer.concat([Buffer.from(header), key, masked]);
}

/** A close frame payload: 2-byte code plus reason. */
export function closePayload(code: number, reason = ''): Buffer {
  const buffer = Buffer.alloc(2 + Buffer.byteLength(reason));
  buffer.writeUInt16BE(code, 0);
  buffer.write(reason, 2);
  return buffer;
}

/** Parses as many complete frames as `buffer` holds; returns them and the bytes used. */
export function parseFrames(buffer: Buffer): { frames: Frame[]; used: number } {
  const frames: Frame[] = [];
  let offset = 0;
  for (;;) {
    if (buffer.length - offset < 2) break;
    const first = buffer[offset];
    const second = buffer[offset + 1];
    let length = second & 0x7f;
    let cursor = offset + 2;
    if (length === 126) {
      if (buffer.length - cursor < 2) break;
      length = buffer.readUInt16BE(cursor);
      cursor += 2;
    } else if (length === 127) {
      if (buffer.length - cursor < 8) break;
      length = Number(buffer.readBigUInt64BE(cursor));
      cursor += 8;
    }
    if (second & 0x80) cursor += 4; // masked (not expected from a server)
    if (buffer.length - cursor < length) break;
    frames.push({ fin: (first & 0x80) !== 0, opcode: first & 0x0f, payload: buffer.subarray(cursor, cursor + length) });
    offset = cursor + length;
  }
  return { frames, used: offset };
}

/** A raw client socket that accumulates everything the server sends. */
export class RawSocket {
  readonly socket: net.Socket;
  #data: Buffer = Buffer.alloc(0);
  #ended = false;
  #listeners = new Set<() => void>();

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#data = this.#data.length === 0 ? chunk : Buffer.concat([this.#data, chunk]);
      this.#notify();
    });
    socket.on('close', () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on('error', () => {});
  }

  /** Bytes received and not yet consumed. */
  get buffered(): Buffer {
    return this.#data;
  }

  /** True once the server closed the connection (or it was destroyed). */
  get ended(): boolean {
    return this.#ended;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Stops reading from the kernel: the server's writes back up (a slow consumer). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Drops `count` consumed bytes from the front of the buffer. */
  consume(count: number): void {
    this.#data = this.#data.subarray(count);
  }

  /** Waits until `condition()` holds, re-checked on every chunk and on close. */
  waitUntil(condition: () => boolean, what: string, bound = DEFAULT_WAIT_MS): Promise<void> {
    if (condition()) return Promise.resolve();
    const timeoutMs = scaled(bound);
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (condition()) {
          this.#listeners.delete(check);
          clearTimeout(timer);
          resolve();
        } else if (this.#ended) {
          this.#listeners.delete(check);
          clearTimeout(timer);
          reject(new Error(`connection closed while waiting for ${what}; received ${JSON.stringify(this.#data.toString('latin1').slice(0, 200))}`));
        }
      };
      const timer = setTimeout(() => {
        this.#listeners.delete(check);
        reject(new WaitTimeout(what, timeoutMs));
      }, timeoutMs);
      this.#listeners.add(check);
    });
  }

  /** Waits for the server to close the connection. */
  waitClosed(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    return this.waitUntil(() => this.#ended, 'the server to close the connection', timeoutMs);
  }

  /** Reads one HTTP response head (and, with Content-Length, returns the body too). */
  async readHttpHead(timeoutMs = DEFAULT_WAIT_MS): Promise<HttpHead & { body: string }> {
    await this.waitUntil(() => this.#data.includes('\r\n\r\n'), 'an HTTP response head', timeoutMs);
    const end = this.#data.indexOf('\r\n\r\n');
    const lines = this.#data.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number((lines[0] as string).split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    this.consume(end + 4);
    let body = '';
    const length = Number(headers['content-length'] ?? 0);
    if (status !== 101 && length > 0) {
      await this.waitUntil(() => this.#data.length >= length, 'the response body', timeoutMs);
      body = this.#data.subarray(0, length).toString('utf8');
      this.consume(length);
    }
    return { status, headers, body };
  }

  /** Reads frames until a close frame; returns its code and reason and the frames before it. */
  async readCloseFrame(timeoutMs = DEFAULT_WAIT_MS): Promise<{ code: number; reason: string; before: Frame[] }> {
    const before: Frame[] = [];
    let close: Frame | undefined;
    await this.waitUntil(
      () => {
        const { frames, used } = parseFrames(this.#data);
        this.consume(used);
        for (const frame of frames) {
          if (close !== undefined) break;
          if (frame.opcode === 0x8) close = frame;
          else before.push(frame);
        }
        return close !== undefined;
      },
      'a close frame',
      timeoutMs,
    );
    const payload = (close as Frame).payload;
    return { code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005, reason: payload.subarray(2).toString('utf8'), before };
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

/** Opens a raw TCP connection to 127.0.0.1:`port`, registered for `closeAll()`. */
export function rawConnect(port: number, timeoutMs = DEFAULT_WAIT_MS): Promise<RawSocket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    registerCloser(() => {
      socket.destroy();
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new WaitTimeout('a TCP connection', timeoutMs));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(new RawSocket(socket));
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
