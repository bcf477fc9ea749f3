/**
 * `sendInfo`: a message for one joined channel's `handleInfo`, addressed by
 * the socket's layer channel (`channel.socket.channelName`) and the topic,
 * like sending to a channel process in Phoenix.
 */
import type { ChannelLayer, MessageValue } from '../layers/channel-layer';
import { resolveLayer } from './broadcast';
import { INFO } from './layer-messages';

/**
 * Deliver `message` to the channel joined to `topic` on the socket whose
 * layer channel is `channelName` (dropped if it is not joined any more).
 *
 * @example
 * await sendInfo(socketChannelName, 'room:lobby', { kind: 'tick' });
 */
export async function sendInfo(channelName: string, topic: string, message: MessageValue, layer?: ChannelLayer | string): Promise<void> {
  await resolveLayer(layer, `sendInfo(${JSON.stringify(channelName)}, ${JSON.stringify(topic)})`).send(channelName, { type: INFO, topic, message });
}
