/**
 * Fans the presence tracker's changes out to the clients connected to this
 * process. Every tracker sees every process's changes, so each process tells
 * its own clients (the robust way, see docs/presence.md): a member who
 * vanishes with a dead process still leaves every other page.
 *
 * Changes are batched per room and per event-loop turn into one diff, and
 * the lobby's room counts at most once per `lobbyIntervalMs`, so a burst of
 * hundreds of joins costs each page a handful of frames, not hundreds.
 *
 * The lobby gets changes, not the whole list: only the rooms whose count
 * changed since the last update, with their new count (0: gone), one
 * update per `lobbyIntervalMs` for every viewer. Viewers that still take the
 * whole list get it at most once per `lobbyListIntervalMs`: a client joining
 * and leaving thousands of rooms made every viewer receive the full list
 * (130 KB) four times a second.
 */
import type { PresenceChange, PresenceMember, PresenceTracker } from 'switchyard-channels';
import { roomGroup, roomOfGroup } from './names';
import type { RoomCount, RoomMember } from './protocol';

/** What a room subscriber gets: members who arrived or changed, and ids of those who left. */
export interface RoomDiff {
  joins: RoomMember[];
  leaves: string[];
}

/** What a lobby change subscriber gets: rooms whose count changed (count 0: the room is empty now). */
export interface LobbyDiff {
  changed: RoomCount[];
}

/** Options of PresenceFeed. */
export interface PresenceFeedOptions {
  /** Minimum milliseconds between two room-count changes sent to the lobby. Default 250. */
  lobbyIntervalMs?: number;
  /** Minimum milliseconds between two whole room lists sent to a lobby viewer that asked for lists. Default 1000. */
  lobbyListIntervalMs?: number;
}

type RoomListener = (diff: RoomDiff) => void;
type LobbyListener = (rooms: RoomCount[]) => void;
type LobbyDiffListener = (diff: LobbyDiff) => void;

/** A tracker member as clients see it. */
export function toRoomMember(member: PresenceMember): RoomMember {
  const name = typeof member.meta.name === 'string' ? member.meta.name : member.id;
  return { id: member.id, name, connections: member.connections };
}

/**
 * Local subscriptions to presence: `subscribeRoom` for a chat page,
 * `subscribeLobby` for the room list.
 *
 * @example
 * const feed = new PresenceFeed(tracker);
 * const stop = feed.subscribeRoom('lobby', (diff) => consumer.sendJson({ type: 'presence.diff', ...diff }));
 */
export class PresenceFeed {
  readonly #tracker: PresenceTracker;
  readonly #lobbyIntervalMs: number;
  readonly #rooms = new Map<string, Set<RoomListener>>();
  readonly #lobby = new Set<LobbyListener>();
  readonly #lobbyDiffs = new Set<LobbyDiffListener>();
  readonly #lobbyListIntervalMs: number;
  /** Rooms whose count changed since the last lobby update. */
  #lobbyChanged = new Set<string>();
  #listSentAt = -Infinity;
  /** Counts changed since the last whole list was sent. */
  #listDue = false;
  /** room -> member id -> the member now (or null: gone), since the last flush. */
  #pending = new Map<string, Map<string, RoomMember | null>>();
  #flushScheduled = false;
  #lobbyTimer: NodeJS.Timeout | undefined;
  #lobbySentAt = -Infinity;
  #closed = false;

  constructor(tracker: PresenceTracker, options: PresenceFeedOptions = {}) {
    this.#tracker = tracker;
    this.#lobbyIntervalMs = options.lobbyIntervalMs ?? 250;
    this.#lobbyListIntervalMs = options.lobbyListIntervalMs ?? 1000;
    tracker.on('join', this.#onChange);
    tracker.on('update', this.#onChange);
    tracker.on('leave', this.#onChange);
  }

  /** Members of `room` on every process, sorted by name. */
  members(room: string): RoomMember[] {
    return this.#tracker
      .list(roomGroup(room))
      .map(toRoomMember)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Rooms with at least one member, busiest first. */
  rooms(): RoomCount[] {
    const rooms: RoomCount[] = [];
    for (const group of this.#tracker.groups()) {
      const room = roomOfGroup(group);
      if (room !== null) rooms.push({ room, count: this.#tracker.list(group).length });
    }
    return rooms.filter((r) => r.count > 0).sort((a, b) => b.count - a.count || a.room.localeCompare(b.room));
  }

  /** Call `listener` with each batch of changes in `room`; returns the unsubscribe function. */
  subscribeRoom(room: string, listener: RoomListener): () => void {
    let listeners = this.#rooms.get(room);
    if (listeners === undefined) this.#rooms.set(room, (listeners = new Set()));
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.#rooms.get(room) === listeners) this.#rooms.delete(room);
    };
  }

  /** Call `listener` with the whole room list when counts change (at most once per `lobbyListIntervalMs`); returns the unsubscribe function. */
  subscribeLobby(listener: LobbyListener): () => void {
    this.#lobby.add(listener);
    return () => this.#lobby.delete(listener);
  }

  /** Call `listener` with the rooms whose count changed (at most once per `lobbyIntervalMs`); returns the unsubscribe function. */
  subscribeLobbyChanges(listener: LobbyDiffListener): () => void {
    this.#lobbyDiffs.add(listener);
    return () => this.#lobbyDiffs.delete(listener);
  }

  /** Stop listening to the tracker and drop every subscription. */
  close(): void {
    this.#closed = true;
    this.#tracker.off('join', this.#onChange);
    this.#tracker.off('update', this.#onChange);
    this.#tracker.off('leave', this.#onChange);
    clearTimeout(this.#lobbyTimer);
    this.#rooms.clear();
    this.#lobby.clear();
    this.#lobbyDiffs.clear();
    this.#lobbyChanged.clear();
    this.#pending.clear();
  }

  readonly #onChange = (change: PresenceChange): void => {
    const room = roomOfGroup(change.group);
    if (room === null || this.#closed) return;
    if (this.#lobby.size > 0 || this.#lobbyDiffs.size > 0) {
      this.#lobbyChanged.add(room);
      this.#scheduleLobby();
    }
    if (!this.#rooms.has(room)) return;
    let changes = this.#pending.get(room);
    if (changes === undefined) this.#pending.set(room, (changes = new Map()));
    changes.set(change.id, change.kind === 'leave' ? null : toRoomMember(change));
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(this.#flush);
  };

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    const pending = this.#pending;
    this.#pending = new Map();
    for (const [room, changes] of pending) {
      const listeners = this.#rooms.get(room);
      if (listeners === undefined) continue;
      const diff: RoomDiff = { joins: [], leaves: [] };
      for (const [id, member] of changes) {
        if (member === null) diff.leaves.push(id);
        else diff.joins.push(member);
      }
      for (const listener of [...listeners]) deliver(listener, diff);
    }
  };

  #scheduleLobby(): void {
    if (this.#lobbyTimer !== undefined) return;
    const wait = Math.max(0, this.#lobbySentAt + this.#lobbyIntervalMs - Date.now());
    this.#lobbyTimer = setTimeout(this.#flushLobby, wait);
    this.#lobbyTimer.unref();
  }

  readonly #flushLobby = (): void => {
    this.#lobbyTimer = undefined;
    if (this.#closed) return;
    let now = Date.now();
    this.#lobbySentAt = now;
    if (this.#lobbyChanged.size > 0) {
      const changed: RoomCount[] = [];
      for (const room of this.#lobbyChanged) changed.push({ room, count: this.#tracker.list(roomGroup(room)).length });
      this.#lobbyChanged = new Set();
      // The interval counts from when viewers get the update, not from when it started being
      // built: counting thousands of rooms on a busy process would otherwise eat into it.
      this.#lobbySentAt = now = Date.now();
      // One object for every viewer, so a consumer can encode it once.
      const diff: LobbyDiff = { changed };
      for (const listener of [...this.#lobbyDiffs]) deliver(listener, diff);
      this.#listDue = true;
    }
    if (!this.#listDue || this.#lobby.size === 0) {
      this.#listDue = false;
      return;
    }
    const wait = this.#listSentAt + this.#lobbyListIntervalMs - now;
    if (wait > 0) {
      // Whole lists are the expensive kind: send the latest one when its interval is up.
      this.#lobbyTimer = setTimeout(this.#flushLobby, Math.min(wait, this.#lobbyIntervalMs));
      this.#lobbyTimer.unref();
      return;
    }
    this.#listDue = false;
    this.#listSentAt = now;
    const rooms = this.rooms();
    for (const listener of [...this.#lobby]) deliver(listener, rooms);
  };
}

function deliver<T>(listener: (value: T) => void, value: T): void {
  try {
    listener(value);
  } catch (error) {
    console.error('[demo] a presence listener failed:', error);
  }
}
