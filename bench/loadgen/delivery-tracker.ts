/**
 * Checks every delivery of one send phase: which sender and sequence it is,
 * whether this receiver already had it (duplicate), whether it came after a
 * later message from the same sender (out of order), and how long it took.
 * Everything is preallocated per phase so that the per-frame path allocates
 * nothing but the decoded string.
 */
import { quantile } from '../lib/stats';

const PREFIX = Buffer.from('{"message":"');
const QUOTE = 0x22;
const BRACE = 0x7d;
const COLON = 0x3a;
const DOT = 0x2e;

/** A room as the tracker sees it: members (local indexes 0..size-1), the first `senders` of which send. */
export interface TrackedRoom {
  size: number;
  senders: number;
  /** Global sender ids of this room's senders, in local order. */
  senderIds: number[];
}

/** Totals of one phase. */
export interface DeliveryReport {
  sent: number;
  expected: number;
  delivered: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  /** Frames that were not a message of this phase (malformed, from another phase, or from another room). */
  unexpected: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number; samples: number };
}

/** Room and local index of every sender, flattened for the hot path. */
export class DeliveryTracker {
  readonly phase: number;
  readonly maxMessages: number;
  #rooms: TrackedRoom[];
  #senderRoom: Int32Array;
  #senderLocal: Int32Array;
  #sent: Int32Array;
  /** Per sender, per seq: members still waiting for it. */
  #remaining: Int32Array[];
  /** Per room: one byte per (member, sender, seq). */
  #seen: Uint8Array[];
  /** Per room: highest seq seen per (member, sender). */
  #lastSeq: Int32Array[];
  #latencies: Float64Array;
  #latencyCount = 0;
  #latencySum = 0;
  #latencyMax = 0;
  #sentTotal = 0;
  delivered = 0;
  duplicated = 0;
  outOfOrder = 0;
  unexpected = 0;
  expected = 0;
  /** Messages every member has received. */
  completed = 0;
  lastDeliveryAt = 0;
  /** Called when message `seq` of `sender` has reached every member of its room. */
  onComplete: (sender: number) => void = () => undefined;

  constructor(phase: number, rooms: TrackedRoom[], senderCount: number, maxMessages: number, latencyCapacity: number) {
    this.phase = phase;
    this.maxMessages = maxMessages;
    this.#rooms = rooms;
    this.#senderRoom = new Int32Array(senderCount).fill(-1);
    this.#senderLocal = new Int32Array(senderCount);
    this.#sent = new Int32Array(senderCount);
    this.#remaining = [];
    for (let s = 0; s < senderCount; s++) this.#remaining.push(new Int32Array(maxMessages));
    this.#seen = [];
    this.#lastSeq = [];
    rooms.forEach((room, r) => {
      room.senderIds.forEach((id, k) => {
        this.#senderRoom[id] = r;
        this.#senderLocal[id] = k;
      });
      this.#seen.push(new Uint8Array(room.size * room.senders * maxMessages));
      this.#lastSeq.push(new Int32Array(room.size * room.senders).fill(-1));
    });
    this.#latencies = new Float64Array(latencyCapacity);
  }

  /** Bytes this configuration preallocates (checked before a phase starts). */
  static footprint(rooms: TrackedRoom[], senderCount: number, maxMessages: number, latencyCapacity: number): number {
    let bytes = senderCount * maxMessages * 4 + latencyCapacity * 8;
    for (const room of rooms) bytes += room.size * room.senders * (maxMessages + 4);
    return bytes;
  }

  /** Record that `sender` sent message `seq` (seq = number already sent). */
  sent(sender: number, seq: number): void {
    const room = this.#rooms[this.#senderRoom[sender]!]!;
    this.#remaining[sender]![seq] = room.size;
    this.#sent[sender] = seq + 1;
    this.#sentTotal++;
    this.expected += room.size;
  }

  sentBy(sender: number): number {
    return this.#sent[sender]!;
  }

  /** Messages sent so far in this phase, all senders. */
  sentTotal(): number {
    return this.#sentTotal;
  }

  /**
   * A frame arrived at member `member` of room `room` at time `now` (ms).
   * The usual spelling, `{"message":"<phase>:<sender>:<seq>:<sentAt>"}`, is
   * read straight from the bytes: on two cores every microsecond the load
   * generator spends is one the server does not get.
   */
  receiveBytes(room: number, member: number, data: Buffer, now: number): void {
    const end = data.length - 2;
    if (end > PREFIX.length && data[end] === QUOTE && data[end + 1] === BRACE && data.compare(PREFIX, 0, PREFIX.length, 0, PREFIX.length) === 0) {
      const phase = readDigits(data, PREFIX.length, end);
      const sender = phase >= 0 && data[cursor] === COLON ? readDigits(data, cursor + 1, end) : -1;
      const seq = sender >= 0 && data[cursor] === COLON ? readDigits(data, cursor + 1, end) : -1;
      const whole = seq >= 0 && data[cursor] === COLON ? readDigits(data, cursor + 1, end) : -1;
      if (whole >= 0) {
        let sentAt = whole;
        if (data[cursor] === DOT) {
          const start = cursor + 1;
          const frac = readDigits(data, start, end);
          if (frac > 0) sentAt += frac / 10 ** (cursor - start);
        }
        if (cursor === end) {
          this.#deliver(room, member, phase, sender, seq, sentAt, now);
          return;
        }
      }
    }
    this.receive(room, member, data.toString(), now);
  }

  /** A frame `text` arrived at member `member` of room `room` at time `now` (ms). */
  receive(room: number, member: number, text: string, now: number): void {
    // The wire format is `{"message":"<phase>:<sender>:<seq>:<sentAt>"}`; any
    // other JSON spelling is accepted through the slow path.
    let body: unknown;
    if (text.startsWith('{"message":"') && text.endsWith('"}') && text.indexOf('"', 12) === text.length - 2) {
      body = text.slice(12, -2);
    } else {
      try {
        const value = JSON.parse(text) as { message?: unknown } | unknown[];
        // A Phoenix v2 broadcast: [join_ref, ref, topic, event, {message}].
        body = Array.isArray(value) ? (value[4] as { message?: unknown } | null)?.message : value.message;
      } catch {
        body = undefined;
      }
    }
    if (typeof body !== 'string') {
      this.unexpected++;
      return;
    }
    const a = body.indexOf(':');
    const b = body.indexOf(':', a + 1);
    const c = body.indexOf(':', b + 1);
    if (a < 0 || b < 0 || c < 0) {
      this.unexpected++;
      return;
    }
    this.#deliver(room, member, Number(body.slice(0, a)), Number(body.slice(a + 1, b)), Number(body.slice(b + 1, c)), Number(body.slice(c + 1)), now);
  }

  #deliver(room: number, member: number, phase: number, sender: number, seq: number, sentAt: number, now: number): void {
    if (
      phase !== this.phase ||
      !Number.isFinite(sentAt) ||
      !Number.isInteger(sender) ||
      !Number.isInteger(seq) ||
      !(sender >= 0 && sender < this.#senderRoom.length) ||
      this.#senderRoom[sender] !== room ||
      !(seq >= 0 && seq < this.#sent[sender]!)
    ) {
      this.unexpected++;
      return;
    }
    const r = this.#rooms[room]!;
    const pair = member * r.senders + this.#senderLocal[sender]!;
    const seen = this.#seen[room]!;
    const bit = pair * this.maxMessages + seq;
    if (seen[bit]) {
      this.duplicated++;
      return;
    }
    seen[bit] = 1;
    const last = this.#lastSeq[room]!;
    if (seq < last[pair]!) this.outOfOrder++;
    else last[pair] = seq;
    this.delivered++;
    this.lastDeliveryAt = now;
    const latency = now - sentAt;
    this.#latencySum += latency;
    if (latency > this.#latencyMax) this.#latencyMax = latency;
    if (this.#latencyCount < this.#latencies.length) this.#latencies[this.#latencyCount++] = latency;
    const remaining = this.#remaining[sender]!;
    if (--remaining[seq] === 0) {
      this.completed++;
      this.onComplete(sender);
    }
  }

  report(): DeliveryReport {
    const sorted = this.#latencies.subarray(0, this.#latencyCount).sort();
    let sent = 0;
    for (const n of this.#sent) sent += n;
    return {
      sent,
      expected: this.expected,
      delivered: this.delivered,
      lost: this.expected - this.delivered,
      duplicated: this.duplicated,
      outOfOrder: this.outOfOrder,
      unexpected: this.unexpected,
      latencyMs: {
        p50: quantile(sorted, 0.5),
        p90: quantile(sorted, 0.9),
        p99: quantile(sorted, 0.99),
        max: this.delivered ? this.#latencyMax : Number.NaN,
        mean: this.delivered ? this.#latencySum / this.delivered : Number.NaN,
        samples: sorted.length,
      },
    };
  }
}

/** Where the last `readDigits` stopped: module state, so the per-delivery parse allocates nothing. */
let cursor = 0;

/** The decimal number at `data[start..]` (up to `end`), or -1 when there is no digit; sets `cursor`. */
function readDigits(data: Buffer, start: number, end: number): number {
  let i = start;
  let value = 0;
  let c: number;
  while (i < end && (c = data[i]!) >= 48 && c <= 57) {
    value = value * 10 + (c - 48);
    i++;
  }
  cursor = i;
  return i === start ? -1 : value;
}
