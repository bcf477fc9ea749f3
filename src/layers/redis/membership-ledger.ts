/**
 * The group memberships this process added, with their join times, so they
 * can be written back after a Redis restart. Memberships of a process that
 * dies are never re-added and vanish by group expiry.
 */

/** group -> channel -> join time (ms). */
export class MembershipLedger {
  readonly #groups = new Map<string, Map<string, number>>();

  add(group: string, channel: string, joinedAt: number): void {
    let members = this.#groups.get(group);
    if (members === undefined) this.#groups.set(group, (members = new Map()));
    members.set(channel, joinedAt);
  }

  discard(group: string, channel: string): void {
    const members = this.#groups.get(group);
    if (members === undefined) return;
    members.delete(channel);
    if (members.size === 0) this.#groups.delete(group);
  }

  /** Live memberships per group (joined after `cutoff` ms); expired ones are forgotten. */
  live(cutoff: number): Map<string, Map<string, number>> {
    for (const [group, members] of this.#groups) {
      for (const [channel, joinedAt] of members) if (joinedAt <= cutoff) members.delete(channel);
      if (members.size === 0) this.#groups.delete(group);
    }
    return this.#groups;
  }

  clear(): void {
    this.#groups.clear();
  }

  /** Memberships held (expired ones count until `live` forgets them). */
  get size(): number {
    let size = 0;
    for (const members of this.#groups.values()) size += members.size;
    return size;
  }
}
