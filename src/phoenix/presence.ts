/**
 * Phoenix Presence on the PresenceTracker: what phoenix.js' `Presence`
 * expects on a topic. A joiner gets `presence_state`, `{key: {metas: [...]}}`
 * with one meta per tracked connection (several tabs of one key are one key
 * with several metas), each carrying its `phx_ref`; every change after that
 * is a `presence_diff` `{joins, leaves}` in the same shape.
 *
 * Diffs are computed in each process from its own tracker (which sees every
 * node's changes, and drops a dead node's members after its timeout) and
 * pushed to the subscribers of the topic in that process only, so nothing
 * crosses the layer twice and a process that dies is healed everywhere.
 */
import { randomBytes } from 'node:crypto';
import type { ChannelLayer } from '../layers/channel-layer';
import type { PresenceTracker } from '../presence/presence-tracker';
import type { PresenceChange, PresenceMeta } from '../presence/presence-state';
import { resolveLayer } from './broadcast';
import type { Channel } from './channel';
import { localTopics } from './local-topics';
import { CHANNEL_CLEANUP } from './symbols';

/** One meta as phoenix.js gets it. */
export type PresenceMetaWithRef = PresenceMeta & { phx_ref: string };
/** `presence_state`, and each side of a `presence_diff`. */
export type PresenceMap = Record<string, { metas: PresenceMetaWithRef[] }>;
/** A `presence_diff` payload. */
export interface PresenceDiff {
  joins: PresenceMap;
  leaves: PresenceMap;
}

/** Options of PhoenixPresence. */
export interface PhoenixPresenceOptions {
  /** The layer the sockets run on (its local subscribers get the diffs), or its alias. Default the `'default'` layer. */
  layer?: ChannelLayer | string;
  /**
   * The tracker group of a topic. Default: the topic itself. Map topics onto
   * groups other code tracks too (e.g. `room:lobby` -> `chat_lobby`), with
   * `topicOf` as its inverse.
   */
  groupOf?: (topic: string) => string;
  /** The topic of a tracker group, or null for a group that is no topic's. Default: the group itself. */
  topicOf?: (group: string) => string | null;
}

/**
 * A key's metas as last told: usually one connection, held as one small object
 * rather than a Map (about 90 B less per tracked connection, v8 heap, Node 20);
 * a Map from the second connection on.
 */
type Seen = Map<string, PresenceMeta> | { readonly ref: string; readonly meta: PresenceMeta };

function seenMap(seen: Seen | undefined): Map<string, PresenceMeta> {
  if (seen === undefined) return new Map();
  return seen instanceof Map ? seen : new Map([[seen.ref, seen.meta]]);
}

function seenOne(now: Map<string, PresenceMeta>): Seen {
  const [ref, meta] = now.entries().next().value as [string, PresenceMeta];
  return { ref, meta };
}

function withRef(meta: PresenceMeta, ref: string): PresenceMetaWithRef {
  return { ...meta, phx_ref: ref };
}

/**
 * Presence for Phoenix channels.
 *
 * @example
 * const presence = new PhoenixPresence(new PresenceTracker(getChannelLayer()!));
 * class RoomChannel extends Channel {
 *   override join() { return Reply.ok(); }
 *   override async afterJoin() {
 *     await presence.track(this, this.socket.assigns.name, { online_at: Date.now() });
 *     await presence.pushState(this);
 *   }
 * }
 */
export class PhoenixPresence {
  readonly tracker: PresenceTracker;
  readonly #layer: ChannelLayer;
  // topic -> key -> (phx_ref -> meta) as last told to this process' subscribers.
  readonly #seen = new Map<string, Map<string, Seen>>();
  readonly #groupOf: (topic: string) => string;
  readonly #topicOf: (group: string) => string | null;
  readonly #onChange = (change: PresenceChange): void => {
    const topic = this.#topicOf(change.group);
    if (topic !== null) this.#changed(topic, change.group, change.id);
  };

  constructor(tracker: PresenceTracker, options: PhoenixPresenceOptions = {}) {
    this.tracker = tracker;
    this.#layer = resolveLayer(options.layer, 'new PhoenixPresence()');
    this.#groupOf = options.groupOf ?? ((topic) => topic);
    this.#topicOf = options.topicOf ?? ((group) => group);
    for (const kind of ['join', 'update', 'leave'] as const) tracker.on(kind, this.#onChange);
  }

  /**
   * Track `channel`'s connection under `key` on its topic with `meta` (plain
   * data). The entry goes when the channel ends (leave, close, crash).
   * Returns the entry's `phx_ref`.
   */
  async track(channel: Channel<any, any, any>, key: string, meta: PresenceMeta = {}): Promise<string> {
    const ref = randomBytes(9).toString('base64url');
    const group = this.#groupOf(channel.topic);
    channel[CHANNEL_CLEANUP].push(() => this.tracker.untrack(group, key, ref));
    await this.tracker.track(group, key, ref, meta);
    return ref;
  }

  /** Everyone on `topic`, in phoenix.js' shape. */
  list(topic: string): PresenceMap {
    const group = this.#groupOf(topic);
    const out: PresenceMap = {};
    for (const member of this.tracker.list(group)) {
      out[member.id] = { metas: this.tracker.connections(group, member.id).map((c) => withRef(c.meta, c.connection)) };
    }
    return out;
  }

  /** Push `presence_state` (the full list) to `channel`'s client; do it after `track`, in `afterJoin`. */
  pushState(channel: Channel<any, any, any>): Promise<void> {
    return (channel as Channel).push('presence_state', this.list(channel.topic));
  }

  /** Stop pushing diffs (the tracker stays open). */
  close(): void {
    for (const kind of ['join', 'update', 'leave'] as const) this.tracker.off(kind, this.#onChange);
  }

  #changed(topic: string, group: string, key: string): void {
    let keys = this.#seen.get(topic);
    const before = seenMap(keys?.get(key));
    const now = new Map<string, PresenceMeta>();
    for (const c of this.tracker.connections(group, key)) now.set(c.connection, c.meta);
    const joins: PresenceMetaWithRef[] = [];
    const leaves: PresenceMetaWithRef[] = [];
    for (const [ref, meta] of now) if (before.get(ref) !== meta) joins.push(withRef(meta, ref));
    for (const [ref, meta] of before) if (!now.has(ref)) leaves.push(withRef(meta, ref));
    if (now.size > 0) {
      if (keys === undefined) this.#seen.set(topic, (keys = new Map()));
      keys.set(key, now.size === 1 ? seenOne(now) : now);
    } else if (keys !== undefined) {
      keys.delete(key);
      if (keys.size === 0) this.#seen.delete(topic);
    }
    if (joins.length === 0 && leaves.length === 0) return;
    const diff: PresenceDiff = {
      joins: joins.length > 0 ? { [key]: { metas: joins } } : {},
      leaves: leaves.length > 0 ? { [key]: { metas: leaves } } : {},
    };
    for (const joined of localTopics(this.#layer).of(topic)) {
      joined.connection.pushTo(joined, 'presence_diff', diff).catch(() => undefined);
    }
  }
}
