/**
 * Seeded random input for the fuzz harness: a tiny PRNG (mulberry32) and
 * generators for frames, JSON and raw bytes. Same seed, same inputs (timing
 * between clients is still the machine's).
 */

import { encodeFrame } from '../helpers/raw-tcp';

/** A seeded PRNG: `next()` in [0, 1). */
export class Prng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  bytes(length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) out[i] = (this.next() * 256) | 0;
    return out;
  }
  /** Random text including astral characters, controls and lone-surrogate-free unicode. */
  text(maxLength: number): string {
    const length = this.int(0, maxLength);
    let out = '';
    for (let i = 0; i < length; i++) {
      const r = this.next();
      if (r < 0.7) out += String.fromCharCode(this.int(0x20, 0x7e));
      else if (r < 0.8) out += String.fromCharCode(this.int(0, 0x1f));
      else if (r < 0.95) out += String.fromCharCode(this.int(0xa0, 0xd7ff));
      else out += String.fromCodePoint(this.int(0x10000, 0x10ffff));
    }
    return out;
  }
  /** A random JSON value, nested at most `depth` levels. */
  json(depth: number): unknown {
    const r = this.next();
    if (depth <= 0 || r < 0.4) {
      return this.pick<unknown>([null, true, false, this.int(-1e9, 1e9), this.next() * 1e6, this.text(20), '__proto__', 'constructor']);
    }
    if (r < 0.7) {
      const out: unknown[] = [];
      for (let i = this.int(0, 6); i > 0; i--) out.push(this.json(depth - 1));
      return out;
    }
    const out: Record<string, unknown> = {};
    for (let i = this.int(0, 6); i > 0; i--) out[this.pick(['type', 'text', 'action', '__proto__', 'constructor', this.text(8)])] = this.json(depth - 1);
    return out;
  }
}

/** What a fuzzing client sends: a text frame, a binary frame, or a text frame with raw (possibly invalid UTF-8) bytes. */
export type FuzzFrame = { kind: 'text'; data: string } | { kind: 'binary'; data: Buffer } | { kind: 'raw-text'; data: Buffer };

/** A JSON object with a known `message` and thousands of unknown keys (validation cost). */
export function wideObject(rng: Prng): string {
  const keys = rng.int(200, 6000);
  let text = '{"message":"w"';
  for (let i = 0; i < keys; i++) text += `,"k${i}":${rng.pick(['0', '"v"', '[]', '{}', 'null'])}`;
  return `${text}}`;
}

/** A valid message whose unknown field nests arrays or objects hundreds to thousands of levels deep. */
export function deepUnknownField(rng: Prng, maxPayload: number): string {
  const depth = rng.int(33, Math.min(5000, Math.floor(maxPayload / 8)));
  const [open, close] = rng.next() < 0.5 ? ['[', ']'] : ['{"a":', '}'];
  return `{"message":"d","x":${open.repeat(depth)}1${close.repeat(depth)}}`;
}

/** One random frame; `maxPayload` is the server's limit (some frames exceed it on purpose). */
export function randomFrame(rng: Prng, maxPayload: number): FuzzFrame {
  switch (rng.int(0, 10)) {
    case 9:
      return { kind: 'text', data: wideObject(rng) };
    case 10:
      return { kind: 'text', data: deepUnknownField(rng, maxPayload) };
    case 0:
      return { kind: 'text', data: rng.text(200) };
    case 1:
      return { kind: 'text', data: JSON.stringify(rng.json(5)) };
    case 2: {
      const depth = rng.int(100, Math.min(20_000, Math.floor(maxPayload / 2) - 1));
      return { kind: 'text', data: '['.repeat(depth) + ']'.repeat(depth) };
    }
    case 3:
      return { kind: 'text', data: '{"type":"chat.message","text":' + JSON.stringify(rng.text(50)) + (rng.next() < 0.5 ? '}' : '') };
    case 4:
      return { kind: 'binary', data: rng.bytes(rng.int(0, 512)) };
    case 5: {
      // Invalid UTF-8 in a text frame: lone continuation bytes, overlongs, surrogates.
      const bad = rng.pick([[0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xff]]);
      return { kind: 'raw-text', data: Buffer.concat([Buffer.from(rng.text(10)), Buffer.from(bad)]) };
    }
    case 6:
      return { kind: 'text', data: 'x'.repeat(maxPayload + rng.int(1, 1024)) };
    case 7:
      return { kind: 'binary', data: Buffer.alloc(maxPayload + rng.int(1, 1024)) };
    default:
      return { kind: 'text', data: rng.pick(['', ' ', 'null', '"', '{"a":', '[]', '{}', '\u0000', 'NaN']) };
  }
}

/** Bytes that break the WebSocket protocol once the handshake is done. */
export function protocolViolation(rng: Prng): { name: string; bytes: Buffer } {
  const payload = Buffer.from('hi');
  return rng.pick([
    { name: 'unmasked frame', bytes: encodeFrame({ opcode: 0x1, payload, mask: false }) },
    { name: 'reserved opcode 0x3', bytes: encodeFrame({ opcode: 0x3, payload }) },
    { name: 'RSV1 without extension', bytes: encodeFrame({ opcode: 0x1, payload, rsv1: true }) },
    { name: 'continuation without start', bytes: encodeFrame({ opcode: 0x0, payload }) },
    { name: 'fragmented ping', bytes: encodeFrame({ opcode: 0x9, payload, fin: false }) },
    { name: 'oversized ping', bytes: encodeFrame({ opcode: 0x9, payload: Buffer.alloc(200) }) },
    { name: 'close with code 999', bytes: encodeFrame({ opcode: 0x8, payload: Buffer.from([0x03, 0xe7]) }) },
    // RSV bits set in the first byte, so the frame is refused as soon as it starts.
    { name: 'random bytes', bytes: Buffer.concat([Buffer.from([0x70 | rng.int(0, 15)]), rng.bytes(rng.int(1, 64))]) },
  ]);
}
