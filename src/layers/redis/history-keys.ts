/**
 * Where the Redis layers keep a group's history, how they read it back, and
 * the candidate epochs their scripts adopt when a history starts afresh.
 */
import type { GroupHistory, GroupHistoryOptions, HistoryEntry, ResolvedRetention } from '../history';
import { selectHistory } from '../history';
import type { LayerMessage } from '../channel-layer';
import { decodePayload, historyStamp, mapHeader, mapParts } from './codec';

/** The stream and meta keys of a group's history. */
export interface HistoryKeys {
  stream: string;
  meta: string;
}

/**
 * Keys of a group's history. `tag`, when given, becomes the keys' hash tag,
 * so in a Redis Cluster they share the slot of the key or topic it names.
 */
export function historyKeys(prefix: string, group: string, tag?: string): HistoryKeys {
  const name = tag === undefined ? group : `{${tag}}`;
  return { stream: `${prefix}:history:${name}`, meta: `${prefix}:history-meta:${name}` };
}

/** Where (1-based, as Lua's string.sub counts) the hash tag starts in a stream key of historyKeys(prefix, group, tag). */
export function streamTagStart(prefix: string): number {
  return `${prefix}:history:{`.length + 1;
}

/**
 * Epochs a script adopts when a group's history starts afresh: this
 * process's random token plus a counter, so no two candidates are equal.
 */
export class EpochSource {
  readonly #token: string;
  #counter = 0;

  constructor(token: string) {
    this.#token = token;
  }

  next(): string {
    return this.#token + (this.#counter++).toString(36);
  }
}

/** How long the meta of a group outlives its latest message: the longer of the history ttl and a membership. */
export function keepMs(retention: ResolvedRetention, groupExpiryMs: number): string {
  return String(Math.ceil(Math.max(retention.ttlMs, groupExpiryMs)));
}

/** The trim/read boundary for entries still within ttl at `now`: the oldest time (ms) kept. */
export function oldestKeptTime(retention: ResolvedRetention, now: number): string {
  return String(Math.floor(now - retention.ttlMs) + 1);
}

/** The HISTORY_READ arguments after the candidate epoch and run_id. */
export function readArgs(retention: ResolvedRetention, keep: string, now: number, options: GroupHistoryOptions): string[] {
  const since = options.since ?? null;
  return [
    keep,
    oldestKeptTime(retention, now),
    String(retention.size),
    since === null ? '' : String(since.offset),
    since === null ? '' : since.epoch,
    options.limit === undefined ? '' : String(options.limit),
  ];
}

/** Turn a HISTORY_READ reply (buffers) into the answer to `groupHistory`. */
export function parseHistoryReply(reply: [Buffer, number | Buffer, Array<[Buffer, Buffer[]]>], options: GroupHistoryOptions): GroupHistory {
  const [epochBytes, latestValue, raw] = reply;
  const epoch = epochBytes.toString('latin1');
  const latest = typeof latestValue === 'number' ? latestValue : Number(latestValue.toString());
  const entries: HistoryEntry[] = [];
  for (let i = raw.length - 1; i >= 0; i--) {
    const [id, fields] = raw[i]!;
    const idText = id.toString('latin1');
    // Ids are `1-<offset - 1>`; the stored map lacks only its stamp (see lua.ts).
    const offset = Number(idText.slice(idText.indexOf('-') + 1)) + 1;
    const message = decodePayload(Buffer.concat([fields[1]!, historyStamp(offset, epoch)])).sealed.message as LayerMessage;
    entries.push({ offset, message });
  }
  return selectHistory(entries, epoch, latest, options);
}

/**
 * An encoded message map re-headed for the two stamp entries (`__offset__`,
 * `__epoch__`) the history scripts append: the header counts them, the
 * entries follow as they are. A copy on purpose: taking a view of a small
 * encoded map (`mapParts`) makes V8 move its bytes off the heap first, which
 * profiled as the largest single cost of a send with history on the server.
 */
export function mapWithStampRoom(encoded: Uint8Array): Buffer {
  const first = encoded[0]!;
  // A fixmap of up to 13 entries stays a fixmap with two more: same header length.
  if (first >= 0x80 && first <= 0x8d) {
    const out = Buffer.allocUnsafe(encoded.length);
    out.set(encoded);
    out[0] = first + 2;
    return out;
  }
  const { count, body } = mapParts(encoded);
  return Buffer.concat([mapHeader(count + 2), body]);
}
