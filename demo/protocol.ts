/**
 * The frames of the chat websocket (`/ws/chat/<room>/`) and the lobby
 * websocket (`/ws/lobby/`), as types. docs/demo.md has the same table in
 * prose.
 *
 * Compatibility rule: only chat frames carry a top-level `message`, so a
 * client written for the Django Channels tutorial (which reads
 * `data.message`) shows chat lines and nothing else. Presence frames are
 * sent only to clients that ask for them with `events=1` in the query
 * string; error frames go to every client and carry `detail`, never
 * `message`.
 */

/** The most characters a chat message may have (after trimming). */
export const MAX_MESSAGE_LENGTH = 2000;

/** Client -> server: send a chat line (or a slash-command such as `/help`). */
export interface SendFrame {
  message: string;
}

/** Server -> client: a chat line, from a member, the bot or the shell. */
export interface ChatFrame {
  type: 'chat.message';
  message: string;
  author: string;
  /** ISO 8601, set where the message entered the system. */
  time: string;
  /** True for an answer meant for this connection only (the bot's replies). */
  private?: true;
  /** The line's place in the room's history (lines sent to the room; not private ones). */
  offset?: number;
  /** The history epoch `offset` counts in. */
  epoch?: string;
}

/**
 * Server -> client, right after accept, for a connection that gave
 * `?since_offset=<n>&since_epoch=<e>`: whether every line after it is
 * replayed (false: some are gone, or the epoch changed), the current epoch
 * and the room's latest offset. The replayed lines follow as chat frames.
 */
export interface RecoveryFrame {
  type: 'recovery';
  recovered: boolean;
  epoch: string;
  offset: number;
}

/** One member of a room as clients see it. */
export interface RoomMember {
  id: string;
  name: string;
  /** Open tabs of this member, across every process. */
  connections: number;
}

/** Server -> client (with `events=1`): who this connection is, sent right after accept. */
export interface WelcomeFrame {
  type: 'welcome';
  room: string;
  you: { id: string; name: string };
}

/** Server -> client (with `events=1`): the whole presence list, sent once after `welcome`. */
export interface PresenceStateFrame {
  type: 'presence.state';
  members: RoomMember[];
}

/**
 * Server -> client (with `events=1`): changes since the last frame. `joins`
 * are members who arrived or changed (a new tab, another name): replace
 * them by id. `leaves` are ids of members who are gone.
 */
export interface PresenceDiffFrame {
  type: 'presence.diff';
  joins: RoomMember[];
  leaves: string[];
}

/** Server -> client: the last frame the client sent was refused; the connection stays open. */
export interface ErrorFrame {
  type: 'error';
  code: string;
  /** A sentence for people. */
  detail: string;
  /** Failed constraints, for ERR_VALIDATION_FAILED. */
  errors?: Array<{ field: string; constraint: string; message: string }>;
}

/** A room and how many members it has, on every process. */
export interface RoomCount {
  room: string;
  count: number;
}

/**
 * Server -> client on `/ws/lobby/`: every room with people in it; sent on
 * connect, and (without `?diff=1`) on changes, at most once a second.
 */
export interface RoomsFrame {
  type: 'rooms';
  rooms: RoomCount[];
}

/**
 * Server -> client on `/ws/lobby/?diff=1`: the rooms whose count changed since
 * the last frame, with their new count (0: the room is empty and leaves the
 * list). Sent at most once per 250 ms, after a whole `rooms` frame on connect.
 */
export interface RoomsDiffFrame {
  type: 'rooms.diff';
  changed: RoomCount[];
}

/** Every frame the chat websocket sends. */
export type ChatServerFrame = ChatFrame | RecoveryFrame | WelcomeFrame | PresenceStateFrame | PresenceDiffFrame | ErrorFrame;
