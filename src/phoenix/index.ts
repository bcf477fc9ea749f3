/** Phoenix Channels on Switchyard: one socket, many topics, wire-compatible with phoenix.js. */
export { phoenixSocket } from './phoenix-socket';
export type { PhoenixSocketOptions, LongPollOptions, ConnectResult } from './socket-options';
export { Channel } from './channel';
export type { AnyChannelEvents, ChannelEvents, ConnectInfo, EventArgs, HandleInResult, JoinResult, SocketInfo, TerminateReason } from './channel';
export { channel } from './channel-route';
export type { ChannelClass, ChannelRoute } from './channel-route';
export { Reply, ChannelReply } from './reply';
export type { ReplyStatus } from './reply';
export { broadcast } from './broadcast';
export type { BroadcastOptions } from './broadcast';
export { sendInfo } from './send-info';
export { topicGroup } from './topic-group';
export { V1_SERIALIZER, V2_SERIALIZER, serializerFor } from './serializer';
export type { Frame, PhoenixMessage, PhoenixSerializer, SerializerVersion } from './serializer';
export { PhoenixPresence } from './presence';
export type { PhoenixPresenceOptions, PresenceDiff, PresenceMap, PresenceMetaWithRef } from './presence';
export { sinceFromPayload } from './history';
export type { ChannelHistoryOptions, RecoveryReply } from './history';
