/**
 * The demo's naming rules, in one place: which room names are valid, the
 * layer group (and presence group) a room maps to, and how a display name
 * chosen by a visitor is cleaned up.
 */

/** Room names: letters, digits, `-` and `_`, at most this long (keeps group names under the layer's limit). */
export const MAX_ROOM_LENGTH = 48;
/** Display names are cut to this many characters. */
export const MAX_NAME_LENGTH = 32;

const ROOM = /^[A-Za-z0-9_-]+$/;
const GROUP_PREFIX = 'chat_';

/** True when `room` can be used as a room name (and so in a group name). */
export function isRoomName(room: unknown): room is string {
  return typeof room === 'string' && room.length > 0 && room.length <= MAX_ROOM_LENGTH && ROOM.test(room);
}

/**
 * The layer group of a room, also used as its presence group: `chat_<room>`,
 * so `groupSend('chat_lobby', ...)` in the shell reaches the lobby.
 */
export function roomGroup(room: string): string {
  return GROUP_PREFIX + room;
}

/** The room of a group made by `roomGroup`, or null for any other group. */
export function roomOfGroup(group: string): string | null {
  if (!group.startsWith(GROUP_PREFIX)) return null;
  const room = group.slice(GROUP_PREFIX.length);
  return isRoomName(room) ? room : null;
}

/**
 * A display name from what a visitor typed: control characters dropped,
 * whitespace collapsed, at most MAX_NAME_LENGTH characters; null when
 * nothing is left.
 */
export function cleanName(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const text = raw
    .replace(/\s/g, ' ')
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]/g, '')
    .replace(/ {2,}/g, ' ')
    .trim();
  if (text === '') return null;
  return Array.from(text).slice(0, MAX_NAME_LENGTH).join('').trim();
}

/**
 * The member id of a display name: people are told apart by name, case
 * aside, so two tabs opened as "Ann" and "ann" are one member with two
 * connections.
 */
export function memberId(name: string): string {
  return name.toLowerCase();
}

/** A name for a visitor who did not choose one. */
export function guestName(): string {
  return `guest-${Math.floor(1000 + Math.random() * 9000)}`;
}
