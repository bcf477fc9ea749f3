/**
 * The channel layer API without the Redis backends: the contract, the shared
 * base class and checks, the in-memory backend and the registry.
 */
export type {
  AnyEventMap,
  Binary,
  ChannelLayer,
  ChannelLayerEvents,
  ChannelLayerOptions,
  EventMap,
  GroupSendResult,
  LayerMessage,
  MessageOf,
  MessageValue,
  OutageBufferOptions,
  ReceiveOptions,
  SendManyResult,
} from './channel-layer';
export { LAYER_DEFAULTS } from './channel-layer';
export { BaseChannelLayer } from './base-channel-layer';
export type { SealedEntry } from './base-channel-layer';
export { CapacityTable, globToRegExp } from './capacity';
export type { CapacityPatterns } from './capacity';
export {
  HISTORY_EPOCH_KEY,
  HISTORY_KEYS,
  HISTORY_OFFSET_KEY,
  HistoryTable,
  historyPositionOf,
  withoutHistoryKeys,
} from './history';
export type {
  GroupHistory,
  GroupHistoryOptions,
  HistoryEntry,
  HistoryPatterns,
  HistoryPosition,
  HistoryRetention,
} from './history';
export { InMemoryChannelLayer } from './memory-layer';
export type { InMemoryChannelLayerOptions, InMemoryLayerStats } from './memory-layer';
export { cloneForDelivery, sealMessage } from './message';
export type { SealedMessage } from './message';
export { MAX_NAME_LENGTH, assertChannelName, assertGroupName, isProcessLocal, nonLocalName } from './names';
export {
  CHANNEL_LAYER_URL_ENV,
  channelLayerSource,
  checkChannelLayerUrl,
  closeChannelLayers,
  configureChannelLayers,
  createChannelLayer,
  getChannelLayer,
  registerLayerBackend,
  registeredLayerSchemes,
} from './registry';
export { ReplayGuard, joinWithHistory } from './history-recovery';
export type { HistoryJoin, HistoryJoinOptions, SinceQueryKeys } from './history-recovery';
export type { ChannelLayerConfig, LayerBackendChecks, LayerBackendFactory, LayerBackendOptions, LayerSourceInfo } from './registry';
export { misspelledLayerVariables } from './env-spelling';
export { probeChannelLayer } from './layer-report';
