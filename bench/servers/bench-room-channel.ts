/**
 * The bench's chat over Phoenix Channels: every `room:*` topic admits
 * everyone, and a `new_msg` push is broadcast as is to the topic (no reply,
 * no interception: the fastlane, one encoding per process).
 */
import { Channel, Reply, channel, phoenixSocket, type EventArgs } from '../../src/index';

type RoomEvents = { new_msg: { message: string } };

class BenchRoomChannel extends Channel<RoomEvents, RoomEvents> {
  override join() {
    return Reply.ok();
  }

  override async handleIn(...[event, payload]: EventArgs<RoomEvents>) {
    if (event === 'new_msg' && typeof payload?.message === 'string') await this.broadcast('new_msg', { message: payload.message });
    return undefined;
  }
}

/** The socket the bench's `phoenix` server mounts at /socket. */
export function benchPhoenixSocket() {
  return phoenixSocket({ channels: [channel('room:*', BenchRoomChannel)], longpoll: false });
}
