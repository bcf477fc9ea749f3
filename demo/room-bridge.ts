/**
 * Where the two chat endpoints meet: a line from the Django-tutorial
 * endpoint (`/ws/chat/<room>/`, group `chat_<room>`) is also broadcast to
 * Phoenix topic `room:<room>` as `new_msg`, and a Phoenix `new_msg` is also
 * sent to the tutorial group as `chat.message`. Each side sends to the other
 * once, where the line enters; nothing is forwarded back, so no line loops
 * or arrives twice.
 */
import { broadcast, type ChannelLayer } from 'switchyard-channels';
import { roomGroup } from './names';

/** A Phoenix `new_msg` to the tutorial clients of `room`. */
export async function toTutorial(layer: ChannelLayer<any>, room: string, body: string, name: string, time: string): Promise<void> {
  await layer.groupSend(roomGroup(room), { type: 'chat.message', message: body, author: name, time });
}

/** A tutorial line to the Phoenix clients of `room`. */
export async function toPhoenix(layer: ChannelLayer<any>, room: string, message: string, author: string, time: string): Promise<void> {
  await broadcast(`room:${room}`, 'new_msg', { body: message, name: author, time }, { layer: layer as ChannelLayer });
}
