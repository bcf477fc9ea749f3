/**
 * The Phoenix wire formats, both directions.
 *
 * - `2.0.0` (phoenix.js default): a text frame is the JSON array
 *   `[join_ref, ref, topic, event, payload]`. A payload that is binary travels
 *   in a binary frame: one kind byte (0 push, 1 reply, 2 broadcast), one
 *   length byte per header string, the header strings, then the raw bytes.
 * - `1.0.0`: a text frame is the JSON object `{topic, event, payload, ref}`
 *   (`join_ref` is read if present, never written).
 *
 * `decode` never throws: a frame it cannot read gives `null` and the caller
 * drops it (see socket-connection.ts).
 */

/** One Phoenix message, in either direction. */
export interface PhoenixMessage {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: unknown;
}

/** The serializer versions a socket speaks, by the `vsn` query parameter. */
export type SerializerVersion = '1.0.0' | '2.0.0';

/** A frame ready for the transport: text, or bytes for a binary frame. */
export type Frame = string | Uint8Array;

/** Reads and writes one serializer version. */
export interface PhoenixSerializer {
  readonly version: SerializerVersion;
  /** A client frame as a message, or null when it is not one. */
  decode(text: string | undefined, bytes: Uint8Array | undefined): PhoenixMessage | null;
  /** A message as a frame. */
  encode(message: PhoenixMessage): Frame;
}

const KIND_PUSH = 0;
const KIND_REPLY = 1;
const KIND_BROADCAST = 2;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function refOf(value: unknown): string | null | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function message(joinRef: unknown, ref: unknown, topic: unknown, event: unknown, payload: unknown): PhoenixMessage | null {
  const j = refOf(joinRef);
  const r = refOf(ref);
  if (j === undefined || r === undefined || typeof topic !== 'string' || typeof event !== 'string') return null;
  return { joinRef: j, ref: r, topic, event, payload };
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** True for the bytes of a payload that travels in a binary frame. */
export function isBinaryPayload(payload: unknown): payload is Uint8Array {
  return payload instanceof Uint8Array;
}

function header(strings: string[]): Uint8Array[] | null {
  const parts = strings.map((s) => encoder.encode(s));
  return parts.every((p) => p.byteLength <= 255) ? parts : null;
}

function binaryFrame(kind: number, strings: string[], data: Uint8Array): Uint8Array {
  const parts = header(strings);
  if (parts === null) throw new RangeError('Phoenix binary frame: a ref, topic or event is longer than 255 bytes');
  const headLength = 1 + parts.length + parts.reduce((n, p) => n + p.byteLength, 0);
  const frame = new Uint8Array(headLength + data.byteLength);
  frame[0] = kind;
  let offset = 1;
  for (const part of parts) frame[offset++] = part.byteLength;
  for (const part of parts) {
    frame.set(part, offset);
    offset += part.byteLength;
  }
  frame.set(data, offset);
  return frame;
}

/** A client's binary frame: only pushes (kind 0, `[0, joinRefLen, refLen, topicLen, eventLen, ...]`). */
function decodeBinary(bytes: Uint8Array): PhoenixMessage | null {
  if (bytes.byteLength < 5 || bytes[0] !== KIND_PUSH) return null;
  const lengths = [bytes[1]!, bytes[2]!, bytes[3]!, bytes[4]!];
  let offset = 5;
  const strings: string[] = [];
  try {
    for (const length of lengths) {
      if (offset + length > bytes.byteLength) return null;
      strings.push(decoder.decode(bytes.subarray(offset, offset + length)));
      offset += length;
    }
  } catch {
    return null;
  }
  const [joinRef, ref, topic, event] = strings as [string, string, string, string];
  return { joinRef: joinRef === '' ? null : joinRef, ref: ref === '' ? null : ref, topic, event, payload: bytes.slice(offset) };
}

function encodeBinaryV2(m: PhoenixMessage, data: Uint8Array): Uint8Array {
  if (m.joinRef === null && m.ref === null) return binaryFrame(KIND_BROADCAST, [m.topic, m.event], data);
  return binaryFrame(KIND_PUSH, [m.joinRef ?? '', m.topic, m.event], data);
}

/** A reply whose response is binary: `[1, joinRefLen, refLen, topicLen, statusLen, ...]`. */
function binaryReply(m: PhoenixMessage): Uint8Array | null {
  if (m.event !== 'phx_reply') return null;
  const payload = m.payload as { status?: unknown; response?: unknown } | null;
  if (payload === null || typeof payload !== 'object' || !isBinaryPayload(payload.response)) return null;
  return binaryFrame(KIND_REPLY, [m.joinRef ?? '', m.ref ?? '', m.topic, String(payload.status)], payload.response);
}

/** Serializer `2.0.0`: JSON arrays, binary frames for binary payloads. */
export const V2_SERIALIZER: PhoenixSerializer = {
  version: '2.0.0',
  decode(text, bytes) {
    if (text === undefined) return bytes === undefined ? null : decodeBinary(bytes);
    const value = parse(text);
    if (!Array.isArray(value) || value.length !== 5) return null;
    return message(value[0], value[1], value[2], value[3], value[4]);
  },
  encode(m) {
    if (isBinaryPayload(m.payload)) return encodeBinaryV2(m, m.payload);
    const reply = binaryReply(m);
    if (reply !== null) return reply;
    return JSON.stringify([m.joinRef, m.ref, m.topic, m.event, m.payload]);
  },
};

/** Serializer `1.0.0`: JSON objects; text only. */
export const V1_SERIALIZER: PhoenixSerializer = {
  version: '1.0.0',
  decode(text) {
    if (text === undefined) return null;
    const value = parse(text) as Record<string, unknown> | undefined;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
    return message(value.join_ref, value.ref, value.topic, value.event, value.payload);
  },
  encode(m) {
    return JSON.stringify({ topic: m.topic, event: m.event, payload: m.payload, ref: m.ref });
  },
};

/** The serializer for a `vsn` query value (phoenix.js sends `2.0.0`; none means `1.0.0`, as in Phoenix), or null when unsupported. */
export function serializerFor(vsn: string | null): PhoenixSerializer | null {
  if (vsn === null || vsn.startsWith('1.')) return V1_SERIALIZER;
  if (vsn.startsWith('2.')) return V2_SERIALIZER;
  return null;
}
