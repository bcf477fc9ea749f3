/**
 * The replicated presence state of one tracker: every node's entries
 * (group -> member -> connection -> meta), plus an index of who is present
 * per group across all nodes. Pure data: mutations report the member-level
 * changes they cause (join / update / leave) into a caller-supplied array,
 * and the tracker turns those into events.
 */
import type { MessageValue } from '../layers/channel-layer';

/** What a member carries: plain data (it travels through the channel layer). */
export type PresenceMeta = { readonly [key: string]: MessageValue };

/** One member of a group as `list()` reports it: several tabs are one member. */
export interface PresenceMember {
  id: string;
  /** The meta of the member's most recently tracked connection. */
  meta: PresenceMeta;
  /** Open connections (tabs, devices) of this member, on every node. */
  connections: number;
}

/** One connection of a member (a tab, a device), as `connectionsOf` reports it. */
export interface PresenceConnection {
  connection: string;
  meta: PresenceMeta;
  /** When it was tracked (the tracking node's clock, ms). */
  at: number;
}

/** A member-level change: `join` on its first connection, `leave` after its last, `update` in between. */
export interface PresenceChange extends PresenceMember {
  kind: 'join' | 'update' | 'leave';
  group: string;
  /** The node (tracker) whose entry changed: its channel name. */
  node: string;
}

/** One tracked connection on the wire: [group, member, connection, meta, trackedAt]. */
export type PresenceEntry = [group: string, member: string, connection: string, meta: PresenceMeta, at: number];

interface ConnectionEntry {
  connection: string;
  meta: PresenceMeta;
  at: number;
}

interface MemberIndex {
  connections: number;
  meta: PresenceMeta;
  at: number;
}

/**
 * A member's connections on one node. Usually one (a tab): that entry itself
 * rather than a Map holding it, which costs about 130 B more per tracked
 * connection (v8 heap, Node 20; bench/demo-memory.ts). A Map from the second on.
 */
type Connections = ConnectionEntry | Map<string, ConnectionEntry>;
type Members = Map<string, Connections>;
type NodeGroups = Map<string, Members>;

const EMPTY_META: PresenceMeta = Object.freeze({});

/** Every node's entries and the merged per-group index. */
export class PresenceState {
  readonly #nodes = new Map<string, NodeGroups>();
  readonly #index = new Map<string, Map<string, MemberIndex>>();

  /** Add or refresh one connection of `member` on `node`; true when the connection is new. */
  add(node: string, group: string, member: string, connection: string, meta: PresenceMeta, at: number, changes: PresenceChange[]): boolean {
    let groups = this.#nodes.get(node);
    if (groups === undefined) this.#nodes.set(node, (groups = new Map()));
    let members = groups.get(group);
    if (members === undefined) groups.set(group, (members = new Map()));
    const connections = members.get(member);
    const existing = connections === undefined ? undefined : entryOf(connections, connection);
    const added: ConnectionEntry = { connection, meta, at };
    if (connections === undefined || (!(connections instanceof Map) && existing !== undefined)) members.set(member, added);
    else if (connections instanceof Map) connections.set(connection, added);
    else members.set(member, new Map([[connections.connection, connections], [connection, added]]));

    let byMember = this.#index.get(group);
    if (byMember === undefined) this.#index.set(group, (byMember = new Map()));
    const entry = byMember.get(member);
    if (entry === undefined) {
      byMember.set(member, { connections: 1, meta, at });
      changes.push({ kind: 'join', group, id: member, meta, connections: 1, node });
      return true;
    }
    if (existing === undefined) entry.connections++;
    const previousMeta = entry.meta;
    if (at >= entry.at) {
      entry.meta = meta;
      entry.at = at;
    } else if (existing !== undefined && existing.at === entry.at) {
      this.#recomputeMeta(group, member, entry);
    }
    if (existing === undefined || !sameMeta(previousMeta, entry.meta)) {
      changes.push({ kind: 'update', group, id: member, meta: entry.meta, connections: entry.connections, node });
    }
    return existing === undefined;
  }

  /** Remove one connection of `member` on `node`; false (and a no-op) when it is not there. */
  remove(node: string, group: string, member: string, connection: string, changes: PresenceChange[]): boolean {
    const groups = this.#nodes.get(node);
    const members = groups?.get(group);
    const connections = members?.get(member);
    const removed = connections === undefined ? undefined : entryOf(connections, connection);
    if (removed === undefined) return false;
    if (connections instanceof Map && connections.size > 2) connections.delete(connection);
    else if (connections instanceof Map) {
      connections.delete(connection);
      members!.set(member, connections.values().next().value as ConnectionEntry);
    } else {
      members!.delete(member);
      if (members!.size === 0) groups!.delete(group);
    }
    const byMember = this.#index.get(group)!;
    const entry = byMember.get(member)!;
    entry.connections--;
    if (entry.connections === 0) {
      byMember.delete(member);
      if (byMember.size === 0) this.#index.delete(group);
      changes.push({ kind: 'leave', group, id: member, meta: removed.meta, connections: 0, node });
      return true;
    }
    if (removed.at === entry.at) this.#recomputeMeta(group, member, entry);
    changes.push({ kind: 'update', group, id: member, meta: entry.meta, connections: entry.connections, node });
    return true;
  }

  /** Forget a node (it left or timed out), reporting a leave for each member it alone kept present. */
  removeNode(node: string, changes: PresenceChange[]): void {
    const groups = this.#nodes.get(node);
    if (groups === undefined) return;
    for (const [group, members] of groups) {
      for (const [member, connections] of members) {
        for (const { connection } of entriesOf(connections)) this.remove(node, group, member, connection, changes);
      }
    }
    this.#nodes.delete(node);
  }

  /**
   * Make `node`'s entries exactly `entries`, reporting only net changes:
   * additions first, so a member whose connection was swapped does not flap.
   */
  replaceNode(node: string, entries: readonly PresenceEntry[], changes: PresenceChange[]): void {
    const keep = new Set<string>();
    for (const [group, member, connection, meta, at] of entries) {
      keep.add(entryKey(group, member, connection));
      const connections = this.#nodes.get(node)?.get(group)?.get(member);
      const current = connections === undefined ? undefined : entryOf(connections, connection);
      if (current !== undefined && current.at === at && sameMeta(current.meta, meta)) continue;
      this.add(node, group, member, connection, meta, at, changes);
    }
    const groups = this.#nodes.get(node);
    if (groups === undefined) return;
    const stale: Array<[string, string, string]> = [];
    for (const [group, members] of groups) {
      for (const [member, connections] of members) {
        for (const { connection } of entriesOf(connections)) {
          if (!keep.has(entryKey(group, member, connection))) stale.push([group, member, connection]);
        }
      }
    }
    for (const [group, member, connection] of stale) this.remove(node, group, member, connection, changes);
  }

  /** Every entry `node` holds, as it travels on the wire. */
  entriesOf(node: string): PresenceEntry[] {
    const out: PresenceEntry[] = [];
    const groups = this.#nodes.get(node);
    if (groups === undefined) return out;
    for (const [group, members] of groups) {
      for (const [member, connections] of members) {
        for (const { connection, meta, at } of entriesOf(connections)) out.push([group, member, connection, meta, at]);
      }
    }
    return out;
  }

  /** Members present in `group` on any node. */
  list(group: string): PresenceMember[] {
    const byMember = this.#index.get(group);
    if (byMember === undefined) return [];
    const out: PresenceMember[] = [];
    for (const [id, { meta, connections }] of byMember) out.push({ id, meta, connections });
    return out;
  }

  /** One member of `group`, or undefined when absent. */
  get(group: string, member: string): PresenceMember | undefined {
    const entry = this.#index.get(group)?.get(member);
    return entry === undefined ? undefined : { id: member, meta: entry.meta, connections: entry.connections };
  }

  /** Every connection of `member` in `group`, on every node, oldest first. */
  connectionsOf(group: string, member: string): PresenceConnection[] {
    const out: PresenceConnection[] = [];
    if (this.#index.get(group)?.get(member) === undefined) return out;
    for (const groups of this.#nodes.values()) {
      const connections = groups.get(group)?.get(member);
      if (connections === undefined) continue;
      for (const { connection, meta, at } of entriesOf(connections)) out.push({ connection, meta, at });
    }
    return out.sort((a, b) => a.at - b.at);
  }

  /** Groups with at least one member present. */
  groups(): string[] {
    return [...this.#index.keys()];
  }

  /** Drop everything, without reporting changes. */
  clear(): void {
    this.#nodes.clear();
    this.#index.clear();
  }

  #recomputeMeta(group: string, member: string, entry: MemberIndex): void {
    let best: ConnectionEntry | undefined;
    for (const groups of this.#nodes.values()) {
      const connections = groups.get(group)?.get(member);
      if (connections === undefined) continue;
      for (const candidate of entriesOf(connections)) if (best === undefined || candidate.at > best.at) best = candidate;
    }
    entry.meta = best?.meta ?? EMPTY_META;
    entry.at = best?.at ?? 0;
  }
}

function entryOf(connections: Connections, connection: string): ConnectionEntry | undefined {
  if (connections instanceof Map) return connections.get(connection);
  return connections.connection === connection ? connections : undefined;
}

/** The entries, as a snapshot (callers may remove while iterating). */
function entriesOf(connections: Connections): ConnectionEntry[] {
  return connections instanceof Map ? [...connections.values()] : [connections];
}

function entryKey(group: string, member: string, connection: string): string {
  // Group names cannot contain a NUL; member and connection ids are
  // length-prefixed so no two triples collide.
  return `${group}\0${member.length}:${member}\0${connection}`;
}

/** Deep equality of plain data (metas are small: a few keys). */
export function sameMeta(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.compare(a, b) === 0;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const key of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, key)) return false;
    if (!sameMeta((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}
