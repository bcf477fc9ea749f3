/**
 * How much of each room the demo keeps for clients that come back (and for
 * newcomers): the layer's `history` option for both endpoints' groups, the
 * Phoenix topic `room:<room>` (group `phx.room_3a<room>`) and the tutorial
 * group `chat_<room>`. Each group numbers its own messages, so a tutorial
 * frame's offset and a Phoenix `new_msg`'s offset count separately.
 */
import { topicGroup, type ChannelLayer, type ChannelLayerConfig, type HistoryPatterns, type HistoryRetention } from 'switchyard-channels';
import { roomGroup } from './names';

/** Per room and endpoint: the last 100 messages, for 300 s. */
export const ROOM_RETENTION: Readonly<Required<HistoryRetention>> = Object.freeze({ size: 100, ttl: 300 });

/** What a join without `since` replays: the room's newest messages. */
export const NEWCOMER_MESSAGES = 50;

/** The demo's `history` layer option. */
export const ROOM_HISTORY: HistoryPatterns = [
  [`${topicGroup('room:')}*`, ROOM_RETENTION],
  [`${roomGroup('')}*`, ROOM_RETENTION],
];

/**
 * A layer configuration (for configureChannelLayers) of `url` with the demo's history.
 *
 * @example
 * configureChannelLayers({ default: demoLayerConfig(process.env.CHANNEL_LAYER_URL ?? 'memory://') });
 */
export function demoLayerConfig(url: string): ChannelLayerConfig {
  return { url, options: { history: ROOM_HISTORY } };
}

/** Throws unless `layer` keeps the demo's history for rooms (a layer configured without `demoLayerConfig`). */
export function assertRoomHistory(layer: ChannelLayer, alias: string): void {
  const retentionOf = (layer as { historyRetentionOf?: (group: string) => { size: number; ttlMs?: number } | null }).historyRetentionOf;
  const probe = [topicGroup('room:lobby'), roomGroup('lobby')];
  if (typeof retentionOf !== 'function' || probe.some((group) => retentionOf.call(layer, group) === null)) {
    throw new Error(
      `the demo's channel layer ${JSON.stringify(alias)} keeps no room history: configure it with ` +
        `demoLayerConfig(url) (demo/history.ts), e.g. configureChannelLayers({ ${alias}: demoLayerConfig('memory://') })`,
    );
  }
}
