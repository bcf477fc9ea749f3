/**
 * The channel layer group a Phoenix topic lives in. Topics are free-form
 * (`room:lobby`, `user:42`), group names are not (`[a-zA-Z\d\-_.]`, under
 * 100 characters), so a topic is mapped to `phx.` plus an escaped form:
 * letters, digits, `-` and `.` stay, every other UTF-8 byte (`_` included)
 * becomes `_` and two hex digits. The mapping is one-to-one; a topic whose
 * escaped form would be too long becomes `phx.h.` plus a SHA-256 digest, and
 * receivers compare the topic carried in each message, so a digest collision
 * cannot misdeliver.
 *
 *   room:lobby      -> phx.room_3alobby
 *   user_socket:42  -> phx.user_5fsocket_3a42
 */
import { createHash } from 'node:crypto';
import { MAX_NAME_LENGTH } from '../layers/names';

const PREFIX = 'phx.';
const KEEP = /^[A-Za-z0-9.-]$/;
const encoder = new TextEncoder();
// Topics repeat (every broadcast names one): cache the few thousand in use.
const cache = new Map<string, string>();
const CACHE_LIMIT = 4096;

function escapeTopic(topic: string): string {
  let out = '';
  for (const char of topic) {
    if (KEEP.test(char)) {
      out += char;
      continue;
    }
    for (const byte of encoder.encode(char)) out += `_${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/**
 * The layer group name of `topic` (see the module docs for the rule).
 *
 * @example
 * topicGroup('room:lobby'); // 'phx.room_3alobby'
 */
export function topicGroup(topic: string): string {
  let group = cache.get(topic);
  if (group !== undefined) return group;
  group = PREFIX + escapeTopic(topic);
  if (group.length >= MAX_NAME_LENGTH) group = `${PREFIX}h.${createHash('sha256').update(topic).digest('hex').slice(0, 40)}`;
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(topic, group);
  return group;
}
