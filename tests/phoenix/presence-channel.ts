/** A channel with Phoenix Presence: every joiner is tracked under its user name. */
import { Channel, PhoenixPresence, Reply, channel, phoenixSocket, type PresenceTracker } from '../../src/index';

/** The socket of the presence tests: `token=<user>` admits `<user>`; topics `presence:*`. */
export function presenceSocket(tracker: PresenceTracker, layerAlias = 'default') {
  const presence = new PhoenixPresence(tracker, { layer: layerAlias });
  class PresenceChannel extends Channel<Record<string, never>, Record<string, never>, { user: string }> {
    override join() {
      return Reply.ok();
    }
    override async afterJoin() {
      await presence.track(this, this.socket.assigns.user, { tab: String(this.socket.params.tab ?? '1') });
      await presence.pushState(this);
    }
  }
  const socket = phoenixSocket<{ user: string }>({
    connect: (params) => (typeof params.token === 'string' ? { user: params.token } : false),
    channels: [channel('presence:*', PresenceChannel)],
    layerAlias,
  });
  return { socket, presence };
}
