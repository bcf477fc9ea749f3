/**
 * Lets the reader of a channel hear of every group its channel joins or
 * leaves in this process, whoever made the call: a consumer leaves, at its
 * end, the groups user code joined with `layer.groupAdd(group,
 * this.channelName)` directly, not only those joined through the consumer.
 *
 * One map entry per watched channel (a running consumer with a layer).
 * BaseChannelLayer reports to it; a layer not built on it does not, so its
 * direct joins stay until the group expiry.
 */
import { MEMBERSHIP } from '../symbols';

/** Told, synchronously after the layer applied it, of a membership change of its channel. */
export interface MembershipWatcher {
  [MEMBERSHIP](group: string, joined: boolean): void;
}

const watchers = new Map<string, MembershipWatcher>();

/** Watch `channel` (a channel has at most one watcher: its consumer). */
export function watchMembership(channel: string, watcher: MembershipWatcher): void {
  watchers.set(channel, watcher);
}

/** Stop watching `channel` if `watcher` still watches it. */
export function unwatchMembership(channel: string, watcher: MembershipWatcher): void {
  if (watchers.get(channel) === watcher) watchers.delete(channel);
}

/** Called by the layer once `channel` joined (`joined` true) or left `group`. */
export function membershipChanged(channel: string, group: string, joined: boolean): void {
  if (watchers.size === 0) return;
  watchers.get(channel)?.[MEMBERSHIP](group, joined);
}
