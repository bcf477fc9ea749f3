/**
 * The channels_redis wire format of one queued message: 12 random bytes (so
 * equal messages stay distinct members of a sorted set) followed by the
 * msgpack map of the message. Strings go out as msgpack str and binary as
 * bin, as Python's `msgpack.packb(..., use_bin_type=True)` does.
 *
 * A group send encodes the message once; the per-destination copies only
 * differ by the trailing `__asgi_channel__` entry, so `queueMemberFor`
 * splices that entry onto the encoded bytes instead of re-encoding.
 */
import { randomFillSync } from 'node:crypto';
import type { Decoder, Encoder } from '@msgpack/msgpack';
import { InvalidMessage } from '../../errors';
import { requirePeer } from '../../peer-dependency';
import { REDIS_FEATURE, REDIS_PACKAGES, nodeRedis } from './redis-peer';
import type { LayerMessage } from '../channel-layer';
import { markDecodedSealed, type SealedMessage } from '../message';

/** The key channels_redis uses to carry the full name(s) of process-local destinations. */
export const ASGI_CHANNEL_KEY = '__asgi_channel__';

/** Length of the random prefix of every queued member. */
export const RANDOM_PREFIX_LENGTH = 12;

interface Msgpack {
  encoder: Encoder;
  decoder: Decoder;
  /** ASGI_CHANNEL_KEY, encoded. */
  asgiKey: Uint8Array;
}

let loaded: Msgpack | undefined;

/** The msgpack coder, loaded by the first Redis layer (importing the package must not load it). */
function msgpack(): Msgpack {
  if (loaded === undefined) {
    const { Encoder: E, Decoder: D } = requirePeer<typeof import('@msgpack/msgpack')>('@msgpack/msgpack', REDIS_FEATURE, REDIS_PACKAGES);
    const encoder = new E();
    loaded = { encoder, decoder: new D(), asgiKey: encoder.encode(ASGI_CHANNEL_KEY) };
  }
  return loaded;
}

/**
 * Load what every Redis layer needs, node-redis then msgpack, so that a
 * missing one is reported when the layer is created, not by its first send.
 */
export function loadRedisPeers(): void {
  nodeRedis();
  msgpack();
}

// Random bytes come from a pooled buffer refilled in bulk: one getrandom call per 256 messages.
const POOL_MESSAGES = 256;
const randomPool = Buffer.allocUnsafe(RANDOM_PREFIX_LENGTH * POOL_MESSAGES);
let randomOffset = randomPool.length;

function writeRandomPrefix(target: Buffer): void {
  if (randomOffset >= randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  randomPool.copy(target, 0, randomOffset, randomOffset + RANDOM_PREFIX_LENGTH);
  randomOffset += RANDOM_PREFIX_LENGTH;
}

/** Throws InvalidMessage when `message` sets `__asgi_channel__`, which the layer sets itself. */
export function assertNoReservedKey(message: Readonly<LayerMessage>): void {
  if (Object.prototype.hasOwnProperty.call(message, ASGI_CHANNEL_KEY)) {
    throw new InvalidMessage(`message.${ASGI_CHANNEL_KEY}`, 'this key is reserved by the Redis channel layer');
  }
}

/** msgpack-encode a sealed message (a map), refusing the reserved `__asgi_channel__` key. */
export function encodeMessage(message: Readonly<LayerMessage>): Uint8Array {
  assertNoReservedKey(message);
  return msgpack().encoder.encode(message);
}

/** A queue member: random prefix + the encoded map as is. */
export function queueMember(encoded: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(RANDOM_PREFIX_LENGTH + encoded.length);
  writeRandomPrefix(out);
  out.set(encoded, RANDOM_PREFIX_LENGTH);
  return out;
}

interface MapHeader {
  count: number;
  length: number;
}

function readMapHeader(bytes: Uint8Array): MapHeader {
  const first = bytes[0]!;
  if (first >= 0x80 && first <= 0x8f) return { count: first & 0x0f, length: 1 };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (first === 0xde) return { count: view.getUint16(1), length: 3 };
  if (first === 0xdf) return { count: view.getUint32(1), length: 5 };
  throw new TypeError('encoded message is not a msgpack map');
}

function mapHeaderLength(count: number): number {
  return count <= 15 ? 1 : count <= 0xffff ? 3 : 5;
}

function writeMapHeader(target: Buffer, offset: number, count: number): void {
  if (count <= 15) target[offset] = 0x80 | count;
  else if (count <= 0xffff) {
    target[offset] = 0xde;
    target.writeUInt16BE(count, offset + 1);
  } else {
    target[offset] = 0xdf;
    target.writeUInt32BE(count, offset + 1);
  }
}

/**
 * A queue member for process-local destinations: random prefix + the map
 * with `__asgi_channel__` appended (a string for a direct send, a list when
 * one copy serves several members of a group in the same process).
 */
export function queueMemberFor(encoded: Uint8Array, channels: string | readonly string[]): Buffer {
  const header = readMapHeader(encoded);
  const { encoder, asgiKey } = msgpack();
  const value = encoder.encode(channels);
  const newHeader = mapHeaderLength(header.count + 1);
  const bodyLength = encoded.length - header.length;
  const out = Buffer.allocUnsafe(RANDOM_PREFIX_LENGTH + newHeader + bodyLength + asgiKey.length + value.length);
  writeRandomPrefix(out);
  let offset = RANDOM_PREFIX_LENGTH;
  writeMapHeader(out, offset, header.count + 1);
  offset += newHeader;
  out.set(encoded.subarray(header.length), offset);
  offset += bodyLength;
  out.set(asgiKey, offset);
  offset += asgiKey.length;
  out.set(value, offset);
  return out;
}

/** A decoded queue member: the message (frozen) and its `__asgi_channel__`, if any. */
export interface DecodedMember {
  sealed: SealedMessage;
  /** The full destination name(s) carried in the message, or undefined for a plain send to a named channel. */
  channels: string | string[] | undefined;
}

/**
 * Decode a queue member (random prefix + msgpack map) into a frozen message.
 * Throws TypeError when the bytes are not a msgpack map with a string `type`.
 */
export function decodeMember(member: Uint8Array): DecodedMember {
  return decodePayload(member.subarray(RANDOM_PREFIX_LENGTH));
}

/** Decode a msgpack map (no random prefix) into a frozen message plus `__asgi_channel__`. */
export function decodePayload(bytes: Uint8Array): DecodedMember {
  const value = msgpack().decoder.decode(bytes);
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
    throw new TypeError('a queued message must be a msgpack map');
  }
  const record = value as Record<string, unknown>;
  let channels: string | string[] | undefined;
  if (Object.prototype.hasOwnProperty.call(record, ASGI_CHANNEL_KEY)) {
    const raw = record[ASGI_CHANNEL_KEY];
    delete record[ASGI_CHANNEL_KEY];
    if (typeof raw === 'string') channels = raw;
    else if (Array.isArray(raw) && raw.every((c) => typeof c === 'string')) channels = raw as string[];
    else throw new TypeError(`${ASGI_CHANNEL_KEY} must be a string or a list of strings`);
  }
  if (typeof record.type !== 'string') throw new TypeError('a queued message must have a string "type"');
  const state: FreezeState = { hasBinary: false, made: [] };
  const message = freeze(record, state) as LayerMessage;
  // Decoded once per process and shared by its members: the JSON fast lane applies as for local sends.
  if (!state.hasBinary) markDecodedSealed(state.made);
  return { sealed: { message, hasBinary: state.hasBinary }, channels };
}

// One walk that freezes the decoded tree in place and turns bin values into
// Buffers (views, no copy: every receiver gets its own copy at delivery).
interface FreezeState {
  hasBinary: boolean;
  /** Every object and array frozen. */
  made: object[];
}

function freeze(value: unknown, state: FreezeState): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array) {
    state.hasBinary = true;
    return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = freeze(value[i], state);
    state.made.push(value);
    return Object.freeze(value);
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) record[key] = freeze(record[key], state);
  state.made.push(record);
  return Object.freeze(record);
}

/** An encoded map split into its entry count and its entries' bytes (a view). */
export function mapParts(encoded: Uint8Array): { count: number; body: Buffer } {
  const header = readMapHeader(encoded);
  return { count: header.count, body: Buffer.from(encoded.buffer, encoded.byteOffset + header.length, encoded.length - header.length) };
}

/** The msgpack header of a map of `count` entries. */
export function mapHeader(count: number): Buffer {
  const out = Buffer.allocUnsafe(mapHeaderLength(count));
  writeMapHeader(out, 0, count);
  return out;
}

/** A queue member's head: random prefix + `header`. */
export function randomPrefixed(header: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(RANDOM_PREFIX_LENGTH + header.length);
  writeRandomPrefix(out);
  out.set(header, RANDOM_PREFIX_LENGTH);
  return out;
}

/** The `__asgi_channel__` entry (key and value) naming process-local destinations. */
export function asgiChannelEntry(channels: string | readonly string[]): Buffer {
  const { encoder, asgiKey } = msgpack();
  return Buffer.concat([asgiKey, encoder.encode(channels)]);
}

/**
 * The two map entries that stamp a history message, byte for byte as the
 * history scripts write them: `__offset__` as a uint64, `__epoch__` as a
 * fixstr (epochs are under 32 bytes).
 */
export function historyStamp(offset: number, epoch: string): Buffer {
  const out = Buffer.allocUnsafe(11 + 9 + 10 + 1 + Buffer.byteLength(epoch));
  let at = out.write('\xaa__offset__', 0, 'latin1');
  out[at++] = 0xcf;
  out.writeBigUInt64BE(BigInt(offset), at);
  at += 8;
  at += out.write('\xa9__epoch__', at, 'latin1');
  out[at++] = 0xa0 + Buffer.byteLength(epoch);
  out.write(epoch, at, 'latin1');
  return out;
}

/** Bytes of a history stamp before the epoch's own: `__offset__` key, uint64, `__epoch__` key, fixstr header. */
const STAMP_HEAD = 11 + 9 + 10 + 1;

/**
 * Read back the stamp `historyStamp` (or a history script) wrote at `at` in
 * `bytes`, running to their end; undefined when the bytes there are not one.
 */
export function readHistoryStamp(bytes: Uint8Array, at: number): { offset: number; epoch: string } | undefined {
  const epochLength = bytes.length - at - STAMP_HEAD;
  if (epochLength < 0 || epochLength > 31 || bytes[at] !== 0xaa || bytes[at + 11] !== 0xcf || bytes[at + 20] !== 0xa9 || bytes[at + 30] !== 0xa0 + epochLength) {
    return undefined;
  }
  const view = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Offsets stay far below 2^53: two 32-bit halves, no BigInt.
  const offset = view.readUInt32BE(at + 12) * 0x1_0000_0000 + view.readUInt32BE(at + 16);
  return { offset, epoch: view.toString('latin1', at + STAMP_HEAD, bytes.length) };
}
