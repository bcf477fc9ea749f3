/**
 * The per-client-address connection limit: one client holding every socket
 * the process may open locks everyone else out, whatever `maxConnections`
 * says. Counts WebSocket connections (handshaking or open) per address, and
 * says so once per address and episode (until that address is down to no
 * connections), not once per refused handshake.
 */
import type { Scope } from '../application';

/** Where the limit reports that it bit (one place, so it is easy to route elsewhere). */
function warnLimitReached(address: string, max: number): void {
  console.warn(
    `[switchyard] client ${address} reached maxConnectionsPerAddress (${max}); refusing its further handshakes ` +
      'with 429 until its connections close (logged once per episode)',
  );
}

function expandIpv6(address: string): string[] | null {
  const [head = '', tail] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  if (tail === undefined && left.length !== 8) return null;
  const zeros = 8 - left.length - right.length;
  if (zeros < 0) return null;
  return [...left, ...Array<string>(zeros).fill('0'), ...right];
}

/**
 * The key an address counts under: IPv4 as is (also when IPv4-mapped), IPv6
 * by its /64 prefix (one host usually owns a whole /64, so counting single
 * IPv6 addresses would let it open 2^64 times the limit).
 */
export function addressKeyOf(address: string): string {
  const lower = address.trim().toLowerCase();
  if (lower.startsWith('::ffff:') && lower.includes('.')) return lower.slice(7);
  if (!lower.includes(':')) return lower;
  const groups = expandIpv6(lower.split('%')[0] as string);
  if (groups === null) return lower;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/**
 * The client's address for `scope`: the peer's, unless the peer is one of
 * `trustedProxies`; then the right-most `X-Forwarded-For` entry that is not
 * a trusted proxy (entries further left are the client's own claims).
 */
export function clientAddressOf(scope: Scope, trustedProxies: ReadonlySet<string>): string | null {
  const peer = (scope as { client?: { host?: string } | null }).client?.host;
  if (peer === undefined) return null;
  if (trustedProxies.size === 0 || !trustedProxies.has(addressKeyOf(peer))) return peer;
  const forwarded = (scope as { headers?: Record<string, string> }).headers?.['x-forwarded-for'];
  if (forwarded === undefined) return peer;
  const hops = forwarded.split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = (hops[i] as string).trim();
    if (hop !== '' && !trustedProxies.has(addressKeyOf(hop))) return hop;
  }
  return peer;
}

/** Connection counts per client address, with the limit. */
export class AddressLimit {
  readonly #max: number;
  readonly #trusted: ReadonlySet<string>;
  readonly #counts = new Map<string, number>();
  // Addresses told about in the current episode; each holds `max` connections, so this stays small.
  readonly #warned = new Set<string>();

  constructor(max: number, trustedProxies: readonly string[]) {
    this.#max = max;
    this.#trusted = new Set(trustedProxies.map(addressKeyOf));
  }

  /** Count a new connection for `scope`'s client; false (and nothing counted) when it is at the limit. */
  acquire(scope: Scope): boolean {
    if (this.#max === Infinity) return true;
    const key = this.#keyOf(scope);
    if (key === null) return true;
    const count = this.#counts.get(key) ?? 0;
    if (count >= this.#max) {
      if (!this.#warned.has(key)) {
        this.#warned.add(key);
        warnLimitReached(key, this.#max);
      }
      return false;
    }
    this.#counts.set(key, count + 1);
    return true;
  }

  /** A connection counted by `acquire(scope)` is gone (the key is derived again from the same scope). */
  release(scope: Scope): void {
    if (this.#max === Infinity) return;
    const key = this.#keyOf(scope);
    if (key === null) return;
    const count = (this.#counts.get(key) ?? 0) - 1;
    if (count > 0) {
      this.#counts.set(key, count);
      return;
    }
    this.#counts.delete(key);
    this.#warned.delete(key);
  }

  /** Connections counted for `address` (tests, metrics). */
  countOf(address: string): number {
    return this.#counts.get(addressKeyOf(address)) ?? 0;
  }

  #keyOf(scope: Scope): string | null {
    const address = clientAddressOf(scope, this.#trusted);
    return address === null ? null : addressKeyOf(address);
  }
}
