/**
 * What the pub/sub layer publishes: a small binary header, then the msgpack
 * message. The header lets a process skip its own group echoes and route a
 * delivery without decoding the message.
 *
 *     kind (u8) | sentAt ms (f64 BE) | sender token | a | b | msgpack body
 *
 * Strings are u8 length + ASCII/UTF-8 bytes (names are under 100 characters).
 * `a`/`b`: group message: group, '' or the sender's tag for its own echo; direct: channel, ''; join/leave: channel, group.
 */

/** Envelope kinds. */
export const EnvelopeKind = { Group: 1, Direct: 2, Join: 3, Leave: 4 } as const;
/** One of EnvelopeKind's values. */
export type EnvelopeKind = (typeof EnvelopeKind)[keyof typeof EnvelopeKind];

/** A parsed envelope; `body` is a view into the payload. */
export interface Envelope {
  kind: EnvelopeKind;
  sentAt: number;
  sender: string;
  a: string;
  b: string;
  body: Buffer;
}

/** Build an envelope around an already encoded body. */
export function writeEnvelope(kind: EnvelopeKind, sentAt: number, sender: string, a: string, b: string, body?: Uint8Array): Buffer {
  const senderBytes = Buffer.byteLength(sender);
  const aBytes = Buffer.byteLength(a);
  const bBytes = Buffer.byteLength(b);
  const bodyLength = body?.length ?? 0;
  const out = Buffer.allocUnsafe(1 + 8 + 3 + senderBytes + aBytes + bBytes + bodyLength);
  let offset = out.writeUInt8(kind, 0);
  offset = out.writeDoubleBE(sentAt, offset);
  for (const [text, length] of [
    [sender, senderBytes],
    [a, aBytes],
    [b, bBytes],
  ] as const) {
    offset = out.writeUInt8(length, offset);
    offset += out.write(text, offset, 'utf8');
  }
  if (body !== undefined) out.set(body, offset);
  return out;
}

/** Parse an envelope; throws RangeError/TypeError on a malformed one. */
export function readEnvelope(payload: Buffer): Envelope {
  const kind = payload.readUInt8(0) as EnvelopeKind;
  if (kind < EnvelopeKind.Group || kind > EnvelopeKind.Leave) throw new TypeError(`unknown envelope kind ${kind}`);
  const sentAt = payload.readDoubleBE(1);
  let offset = 9;
  const strings: string[] = [];
  for (let i = 0; i < 3; i++) {
    const length = payload.readUInt8(offset);
    offset += 1;
    if (offset + length > payload.length) throw new RangeError('truncated envelope');
    strings.push(payload.toString('utf8', offset, offset + length));
    offset += length;
  }
  return { kind, sentAt, sender: strings[0]!, a: strings[1]!, b: strings[2]!, body: payload.subarray(offset) };
}

/** The sender token of an envelope without parsing the rest (to skip own echoes cheaply). */
export function envelopeSender(payload: Buffer): string {
  const length = payload.readUInt8(9);
  return payload.toString('latin1', 10, 10 + length);
}
