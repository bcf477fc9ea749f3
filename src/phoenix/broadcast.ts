/**
 * `broadcast(topic, event, payload)`: a Phoenix broadcast from anywhere (an
 * express route, a worker, the `switchyard shell`), through the channel layer
 * so it reaches the topic's subscribers in every process.
 */
import { NoChannelLayer } from '../errors';
import type { ChannelLayer, MessageValue } from '../layers/channel-layer';
import { getChannelLayer } from '../layers/registry';
import { BROADCAST } from './layer-messages';
import { topicGroup } from './topic-group';

/** Options of `broadcast`. */
export interface BroadcastOptions {
  /** The layer, or its alias in the registry. Default the `'default'` layer. */
  layer?: ChannelLayer | string;
  /** A socket's layer channel that must not get the broadcast (what `Channel.broadcastFrom` passes). */
  from?: string;
}

/** The layer an option names, or NoChannelLayer naming the call. */
export function resolveLayer(layer: ChannelLayer | string | undefined, what: string): ChannelLayer {
  const resolved = typeof layer === 'object' && layer !== null ? layer : getChannelLayer(layer ?? 'default');
  if (resolved === null) throw new NoChannelLayer(what);
  return resolved;
}

/**
 * Send `event` with `payload` to every socket joined to `topic`, in every
 * process on the layer. Subscribers whose channel intercepts `event` see it
 * in `handleOut`; the others get it as is. Broadcasting `disconnect` to a
 * socket id (see `PhoenixSocketOptions.id`) closes every socket with that id.
 * Resolves once the layer took the message; counts no deliveries.
 *
 * @example
 * await broadcast('room:lobby', 'new_msg', { body: 'hi', name: 'shell' });
 * await broadcast('user_socket:42', 'disconnect', {}); // log user 42 out everywhere
 */
export async function broadcast(topic: string, event: string, payload: MessageValue = {}, options: BroadcastOptions = {}): Promise<void> {
  if (typeof topic !== 'string' || topic === '') throw new TypeError(`broadcast: topic must be a non-empty string, got ${JSON.stringify(topic)}`);
  if (typeof event !== 'string' || event === '') throw new TypeError(`broadcast: event must be a non-empty string, got ${JSON.stringify(event)}`);
  const layer = resolveLayer(options.layer, `broadcast(${JSON.stringify(topic)}, ${JSON.stringify(event)})`);
  const message = options.from === undefined ? { type: BROADCAST, topic, event, payload } : { type: BROADCAST, topic, event, payload, from: options.from };
  await layer.groupSend(topicGroup(topic), message);
}
