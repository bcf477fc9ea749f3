/**
 * Walk and delete the keys under a prefix on one server, with SCAN (+ UNLINK)
 * so a large keyspace is never blocked the way KEYS would block it.
 */
import type { RedisNode } from './connection';

const BATCH = 500;

/** Escape glob characters so the prefix matches literally in SCAN MATCH. */
export function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** Calls `visit` with each non-empty batch of keys matching `match` (SCAN MATCH) on `node`. */
export async function scanNode(node: RedisNode, match: string, visit: (keys: string[]) => Promise<void>): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await node.command<[string, string[]]>(['SCAN', cursor, 'MATCH', match, 'COUNT', String(BATCH)]);
    cursor = next;
    if (keys.length > 0) await visit(keys);
  } while (cursor !== '0');
}

/** Delete all keys starting with `prefix` on `node`; returns how many were deleted. */
export async function deleteByPrefix(node: RedisNode, prefix: string): Promise<number> {
  let deleted = 0;
  await scanNode(node, `${globEscape(prefix)}*`, async (keys) => {
    deleted += await node.command<number>(['UNLINK', ...keys]);
  });
  return deleted;
}
