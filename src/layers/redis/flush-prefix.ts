/**
 * Delete every key under a prefix on one server, with SCAN + UNLINK so a
 * large keyspace is never blocked the way KEYS would block it.
 */
import type { RedisNode } from './connection';

const BATCH = 500;

/** Escape glob characters so the prefix matches literally in SCAN MATCH. */
export function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** Delete all keys starting with `prefix` on `node`; returns how many were deleted. */
export async function deleteByPrefix(node: RedisNode, prefix: string): Promise<number> {
  const pattern = `${globEscape(prefix)}*`;
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await node.command<[string, string[]]>(['SCAN', cursor, 'MATCH', pattern, 'COUNT', String(BATCH)]);
    cursor = next;
    if (keys.length > 0) deleted += await node.command<number>(['UNLINK', ...keys]);
  } while (cursor !== '0');
  return deleted;
}
