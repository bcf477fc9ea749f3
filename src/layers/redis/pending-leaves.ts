/**
 * Group leaves that failed because Redis was away. The layer retries them
 * when the server is back, so a connection closed during an outage does not
 * leave its membership behind for a whole group expiry.
 */

/** group -> channels whose groupDiscard must still reach Redis. */
export class PendingLeaves {
  readonly #groups = new Map<string, Set<string>>();

  add(group: string, channel: string): void {
    let channels = this.#groups.get(group);
    if (channels === undefined) this.#groups.set(group, (channels = new Set()));
    channels.add(channel);
  }

  /** A later groupAdd of the same pair wins over the pending leave. */
  cancel(group: string, channel: string): void {
    const channels = this.#groups.get(group);
    if (channels === undefined) return;
    channels.delete(channel);
    if (channels.size === 0) this.#groups.delete(group);
  }

  get size(): number {
    let size = 0;
    for (const channels of this.#groups.values()) size += channels.size;
    return size;
  }

  /**
   * Run `leave` for each pending pair (those of groups `accept` takes); a
   * pair whose leave fails stays pending for the next try.
   */
  async retry(leave: (group: string, channel: string) => Promise<void>, accept: (group: string) => boolean = () => true): Promise<void> {
    const attempts: Array<Promise<void>> = [];
    for (const [group, channels] of this.#groups) {
      if (!accept(group)) continue;
      for (const channel of channels) {
        attempts.push(leave(group, channel).then(() => this.cancel(group, channel), () => undefined));
      }
    }
    await Promise.all(attempts);
  }

  clear(): void {
    this.#groups.clear();
  }
}
