/**
 * The client's last history position, from the connection's query string,
 * for `groupAdd(group, { since })`: `?since_offset=<n>&since_epoch=<e>` by
 * default.
 */
import { InvalidHistoryPosition } from '../errors';
import type { HistoryPosition } from '../layers/history';
import type { SinceQueryKeys } from '../layers/history-recovery';

/**
 * Read `since` from `scope.queryString`: null when neither key is present,
 * else `{offset, epoch}`. Throws InvalidHistoryPosition (a handshake refused
 * with 400 when thrown from `connect()`) when only one key is present, the
 * offset is not a whole number or the epoch is empty or too long.
 *
 * @example
 * async connect() {
 *   await this.groupAdd(`chat_${room}`, { since: sinceFromQuery(this.scope), last: 50 });
 *   await this.accept();
 * }
 */
export function sinceFromQuery(scope: { queryString: string }, keys: SinceQueryKeys = {}): HistoryPosition | null {
  const offsetKey = keys.offset ?? 'since_offset';
  const epochKey = keys.epoch ?? 'since_epoch';
  const params = new URLSearchParams(scope.queryString);
  const offset = params.get(offsetKey);
  const epoch = params.get(epochKey);
  if (offset === null && epoch === null) return null;
  if (offset === null || epoch === null) {
    throw new InvalidHistoryPosition(`a history position needs both ${offsetKey} and ${epochKey} in the query string`);
  }
  if (!/^\d{1,15}$/.test(offset)) throw new InvalidHistoryPosition(`${offsetKey} must be a whole number >= 0, got ${JSON.stringify(offset.slice(0, 20))}`);
  if (epoch.length === 0 || epoch.length > 64) throw new InvalidHistoryPosition(`${epochKey} must be 1 to 64 characters`);
  return { offset: Number(offset), epoch };
}
