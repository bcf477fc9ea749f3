/**
 * One Phoenix socket: a WebSocket consumer (so it runs through the server,
 * the middleware and the one event loop of every consumer) that multiplexes
 * joined topics over the connection. Each joined topic is a Channel instance
 * plus a membership of the topic's layer group; broadcasts arrive as layer
 * messages and are pushed as they are (encoded once per process: the
 * fastlane) unless the channel intercepts the event.
 *
 * Malformed frames (not JSON, not a Phoenix message, binary on `1.0.0`) are
 * dropped and logged once per connection: Phoenix has no error frame that
 * phoenix.js would not choke on, and the socket stays open.
 */
import type { Event, WebsocketScope } from '../application';
import { WebsocketConsumer } from '../consumers/websocket-consumer';
import type { LayerMessage, MessageValue } from '../layers/channel-layer';
import { Channel, type ChannelLink, type ConnectInfo, type SocketInfo, type TerminateReason } from './channel';
import { routeTopic } from './channel-route';
import { parseConnectQuery } from './connect-params';
import { BROADCAST, INFO, isBroadcast, isInfo } from './layer-messages';
import { ChannelReply } from './reply';
import { serializerFor, V2_SERIALIZER, type Frame, type PhoenixMessage, type PhoenixSerializer } from './serializer';
import type { ResolvedSocketOptions } from './socket-options';
import { CHANNEL_CLEANUP, CHANNEL_HISTORY, CHANNEL_LINK } from './symbols';
import { payloadWithPosition, withRecovery, type RecoveryReply } from './history';
import { InvalidHistoryPosition } from '../errors';
import { topicGroup } from './topic-group';
import { localTopics } from './local-topics';

/** The scope key the long-poll transport sets on the scope of its sessions. */
export const PHOENIX_SCOPE_KEY = 'phoenix';

/** What the long-poll transport tells the connection through the scope. */
export interface PhoenixScopeInfo {
  transport: 'longpoll';
  authToken?: string;
}

/** A joined topic. */
export interface JoinedTopic {
  readonly topic: string;
  readonly joinRef: string | null;
  readonly channel: Channel<any, any, any>;
  readonly intercepts: ReadonlySet<string> | null;
  /** The connection that runs it (presence pushes diffs through it). */
  readonly connection: PhoenixConnection;
}

const AUTH_TOKEN_PROTOCOL = 'base64url.bearer.phx.';
const RESOLVED: Promise<void> = Promise.resolve();
const EMPTY: Readonly<Record<string, never>> = Object.freeze({});
// One encoded frame per broadcast message per serializer version, for as long as the message lives.
const fastlaneFrames: Record<string, WeakMap<object, Frame>> = { '1.0.0': new WeakMap(), '2.0.0': new WeakMap() };

function decodeBase64Url(text: string): string | undefined {
  try {
    return Buffer.from(text, 'base64url').toString('utf8');
  } catch {
    return undefined;
  }
}

/** The socket connection; internal (apps get it from `phoenixSocket()`). */
export class PhoenixConnection extends WebsocketConsumer {
  /** Set through `asApp({ options })`. */
  options!: ResolvedSocketOptions;

  #serializer: PhoenixSerializer = V2_SERIALIZER;
  #info: SocketInfo<unknown> | null = null;
  readonly #topics = new Map<string, JoinedTopic>();
  #warnedMalformed = false;

  /** The socket as channels see it (null before connect succeeded). */
  get info(): SocketInfo<unknown> | null {
    return this.#info;
  }

  override async connect(): Promise<void> {
    const scope = this.scope as WebsocketScope;
    const phx = scope[PHOENIX_SCOPE_KEY] as PhoenixScopeInfo | undefined;
    const { params, vsn } = parseConnectQuery(scope.queryString);
    const serializer = serializerFor(vsn);
    if (serializer === null) return this.deny(403, `unsupported serializer vsn=${vsn}: use 1.0.0 or 2.0.0`);
    this.#serializer = serializer;

    let authToken = phx?.authToken;
    let subprotocol: string | null = null;
    const offered = scope.subprotocols;
    if (offered.includes('phoenix')) {
      subprotocol = 'phoenix';
      const bearer = offered.find((p) => p.startsWith(AUTH_TOKEN_PROTOCOL));
      if (bearer !== undefined) authToken = decodeBase64Url(bearer.slice(AUTH_TOKEN_PROTOCOL.length));
    }
    const connectInfo: ConnectInfo = {
      transport: phx?.transport ?? 'websocket',
      headers: scope.headers,
      client: scope.client,
      scope,
      ...(authToken !== undefined ? { authToken } : {}),
    };
    let assigns: unknown;
    try {
      assigns = await this.options.connect(params, connectInfo);
    } catch (error) {
      (this.constructor as typeof PhoenixConnection).logger.warn('phoenixSocket: connect() threw; refusing the connection with 403', error);
      assigns = false;
    }
    if (assigns === false || assigns === null) return this.deny(403);
    if (assigns === undefined || assigns === true) assigns = {};
    const id = this.options.id({ assigns, params });
    this.#info = Object.freeze({
      id: typeof id === 'string' && id !== '' ? id : null,
      assigns,
      params,
      connectInfo,
      channelName: this.channelName as string,
      vsn: serializer.version,
    });
    if (this.#info.id !== null) await this.groupAdd(topicGroup(this.#info.id));
    await this.accept(subprotocol);
  }

  override async disconnect(): Promise<void> {
    const topics = [...this.#topics.values()];
    for (const joined of topics) await this.#end(joined, { reason: 'closed' }, null);
  }

  override dispatch(event: Event): Promise<void> {
    switch (event.type) {
      case 'websocket.receive':
        return this.#onFrame(event.text as string | undefined, event.bytes as Uint8Array | undefined);
      case BROADCAST:
        return isBroadcast(event) ? this.#onBroadcast(event) : RESOLVED;
      case INFO:
        return isInfo(event) ? this.#onInfo(event.topic, event.message) : RESOLVED;
      default:
        // connect and disconnect
        if (event.type.startsWith('websocket.')) return super.dispatch(event);
        return this.#onSocketMessage(event);
    }
  }

  /** Send a message in this socket's serializer. */
  sendMessage(message: PhoenixMessage): Promise<void> {
    let frame: Frame;
    try {
      frame = this.#serializer.encode(message);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.send(frame);
  }

  /** Push `event` to the client on a joined topic. */
  pushTo(joined: JoinedTopic, event: string, payload: unknown): Promise<void> {
    if (this.#topics.get(joined.topic) !== joined) return RESOLVED;
    return this.sendMessage({ joinRef: joined.joinRef, ref: null, topic: joined.topic, event, payload });
  }

  // ------------------------------------------------------------ client frames

  async #onFrame(text: string | undefined, bytes: Uint8Array | undefined): Promise<void> {
    const message = this.#serializer.decode(text, bytes);
    if (message === null) return this.#malformed(text, bytes);
    const { topic, event } = message;
    if (topic === 'phoenix' && event === 'heartbeat') return this.#reply(message, 'ok', EMPTY);
    const joined = this.#topics.get(topic);
    if (event === 'phx_join') return this.#join(message, joined);
    if (joined === undefined) {
      // A leave racing a server-side close is answered ok, as Phoenix does.
      if (event === 'phx_leave') return this.#reply(message, 'ok', EMPTY);
      return this.#reply(message, 'error', { reason: 'unmatched topic' });
    }
    // A message for an earlier join of this topic: stale, ignored.
    if (message.joinRef !== null && message.joinRef !== joined.joinRef) return;
    if (event === 'phx_leave') {
      await this.#reply(message, 'ok', EMPTY);
      return this.#end(joined, { reason: 'leave' }, 'phx_close');
    }
    let result: unknown;
    try {
      result = await joined.channel.handleIn(event, message.payload);
    } catch (error) {
      return this.#crash(joined, error);
    }
    if (result instanceof ChannelReply && message.ref !== null) await this.#reply(message, result.status, result.response);
  }

  /**
   * A join: route the topic, let the channel authorize it, then subscribe to
   * the topic's group and reply. This is the one place where a topic meets its
   * group; everything a join does to the socket happens here, in this order.
   */
  async #join(message: PhoenixMessage, existing: JoinedTopic | undefined): Promise<void> {
    const { topic } = message;
    // Joining a joined topic again closes the old channel first, as Phoenix does.
    if (existing !== undefined) await this.#end(existing, { reason: 'rejoin' }, 'phx_close');
    const route = routeTopic(this.options.channels, topic);
    if (route === undefined) return this.#reply(message, 'error', { reason: 'unmatched topic' });
    if (this.#topics.size >= this.options.maxChannels) return this.#reply(message, 'error', { reason: 'too many channels joined' });

    const channel = new route.channel();
    channel.topic = topic;
    channel.joinRef = message.joinRef;
    channel.socket = this.#info!;
    const logger = (this.constructor as typeof PhoenixConnection).logger;
    let result: unknown;
    try {
      result = await channel.join(topic, message.payload, this.#info!);
      if (result !== undefined && !(result instanceof ChannelReply)) {
        throw new TypeError(`${route.channel.name}.join() must return Reply.ok(...), Reply.error(...) or nothing`);
      }
    } catch (error) {
      // A malformed `since` is the client's mistake: say what is wrong, as for any refused join.
      if (error instanceof InvalidHistoryPosition) return this.#reply(message, 'error', { reason: error.message, code: error.code });
      logger.error(`phoenixSocket: ${route.channel.name}.join(${JSON.stringify(topic)}) threw`, error);
      return this.#reply(message, 'error', { reason: 'join crashed' });
    }
    const reply = result as ChannelReply | undefined;
    if (reply?.status === 'error') return this.#reply(message, 'error', reply.response);

    const intercepts = (route.channel as unknown as typeof Channel).intercepts;
    const joined: JoinedTopic = {
      topic,
      joinRef: message.joinRef,
      channel,
      intercepts: intercepts.length > 0 ? new Set(intercepts) : null,
      connection: this,
    };
    channel[CHANNEL_LINK] = this.#linkFor(joined);
    this.#topics.set(topic, joined);
    localTopics(this.channelLayer).add(joined);
    const history = channel[CHANNEL_HISTORY];
    channel[CHANNEL_HISTORY] = null;
    let recovery: RecoveryReply | null = null;
    try {
      // With history, groupAdd queues the replay ahead of every live message and drops live duplicates;
      // the replay is handled right after this join, so the reply below goes out first.
      if (history === null) await this.groupAdd(topicGroup(topic));
      else recovery = await this.groupAdd(topicGroup(topic), history);
    } catch (error) {
      await this.#end(joined, { reason: 'error', error }, null);
      logger.error(`phoenixSocket: subscribing to ${JSON.stringify(topic)} failed`, error);
      return this.#reply(message, 'error', { reason: 'join crashed' });
    }
    const response = recovery === null ? (reply?.response ?? EMPTY) : withRecovery(reply?.response, recovery);
    await this.#reply(message, 'ok', response);
    try {
      await channel.afterJoin();
    } catch (error) {
      return this.#crash(joined, error);
    }
  }

  #linkFor(joined: JoinedTopic): ChannelLink {
    return {
      push: (event, payload) => this.pushTo(joined, event, payload),
      broadcast: async (event, payload, skipSelf) => {
        const message: LayerMessage = { type: BROADCAST, topic: joined.topic, event, payload };
        if (skipSelf) message.from = this.channelName as string;
        await this.channelLayer.groupSend(topicGroup(joined.topic), message);
      },
      leave: () => this.#end(joined, { reason: 'stop' }, 'phx_close'),
    };
  }

  #reply(to: PhoenixMessage, status: string, response: unknown): Promise<void> {
    return this.sendMessage({ joinRef: to.joinRef, ref: to.ref, topic: to.topic, event: 'phx_reply', payload: { status, response } });
  }

  /** A callback threw: end that channel only, tell the client with `phx_error`. */
  async #crash(joined: JoinedTopic, error: unknown): Promise<void> {
    (this.constructor as typeof PhoenixConnection).logger.error(
      `phoenixSocket: ${joined.channel.constructor.name} on ${JSON.stringify(joined.topic)} crashed`,
      error,
    );
    await this.#end(joined, { reason: 'error', error }, 'phx_error');
  }

  /** End a joined topic: unsubscribe, run cleanups and `terminate`, then tell the client (`phx_close` / `phx_error`) unless the socket is gone. */
  async #end(joined: JoinedTopic, reason: TerminateReason, notify: 'phx_close' | 'phx_error' | null): Promise<void> {
    if (this.#topics.get(joined.topic) !== joined) return;
    this.#topics.delete(joined.topic);
    localTopics(this.channelLayer).delete(joined);
    const channel = joined.channel;
    channel[CHANNEL_LINK] = null;
    const logger = (this.constructor as typeof PhoenixConnection).logger;
    try {
      await this.groupDiscard(topicGroup(joined.topic));
    } catch (error) {
      logger.error(`phoenixSocket: leaving the group of ${JSON.stringify(joined.topic)} failed`, error);
    }
    for (const cleanup of channel[CHANNEL_CLEANUP].splice(0)) {
      try {
        await cleanup();
      } catch (error) {
        logger.error(`phoenixSocket: cleaning up ${JSON.stringify(joined.topic)} failed`, error);
      }
    }
    try {
      await channel.terminate(reason);
    } catch (error) {
      logger.error(`phoenixSocket: ${channel.constructor.name}.terminate() threw`, error);
    }
    if (notify !== null) await this.sendMessage({ joinRef: joined.joinRef, ref: joined.joinRef, topic: joined.topic, event: notify, payload: EMPTY });
  }

  #malformed(text: string | undefined, bytes: Uint8Array | undefined): void {
    if (this.#warnedMalformed) return;
    this.#warnedMalformed = true;
    const what = text !== undefined ? `text frame ${JSON.stringify(text.slice(0, 80))}` : `${bytes?.byteLength ?? 0}-byte binary frame`;
    (this.constructor as typeof PhoenixConnection).logger.warn(
      `phoenixSocket: dropped a ${what} that is not a Phoenix ${this.#serializer.version} message (logged once per connection)`,
    );
  }

  // ------------------------------------------------------------ layer messages

  #onBroadcast(message: LayerMessage & { topic: string; event: string; payload: MessageValue; from?: unknown }): Promise<void> {
    if (message.from !== undefined && message.from === this.channelName) return RESOLVED;
    const { topic, event } = message;
    // 1001 (going away), as Phoenix does: phoenix.js reconnects, and connect() decides again.
    if (event === 'disconnect' && this.#info !== null && topic === this.#info.id) return this.close(1001);
    const joined = this.#topics.get(topic);
    if (joined === undefined) return RESOLVED;
    // A broadcast of a topic with history carries its position in the payload: the client's `since` on rejoin.
    if (joined.intercepts !== null && joined.intercepts.has(event)) return this.#handleOut(joined, event, payloadWithPosition(message, message.payload));
    let frame = fastlaneFrames[this.#serializer.version]!.get(message);
    if (frame === undefined) {
      try {
        frame = this.#serializer.encode({ joinRef: null, ref: null, topic, event, payload: payloadWithPosition(message, message.payload) as MessageValue });
      } catch (error) {
        return Promise.reject(error);
      }
      fastlaneFrames[this.#serializer.version]!.set(message, frame);
    }
    return this.send(frame);
  }

  async #handleOut(joined: JoinedTopic, event: string, payload: unknown): Promise<void> {
    try {
      await joined.channel.handleOut(event, payload);
    } catch (error) {
      await this.#crash(joined, error);
    }
  }

  /**
   * Any other layer message sent to the socket's own channel (`channelName`):
   * every channel joined on the socket gets it in `handleInfo`, in join order.
   */
  async #onSocketMessage(message: Event): Promise<void> {
    for (const joined of [...this.#topics.values()]) {
      if (this.#topics.get(joined.topic) !== joined) continue;
      try {
        await joined.channel.handleInfo(message);
      } catch (error) {
        await this.#crash(joined, error);
      }
    }
  }

  async #onInfo(topic: string, message: unknown): Promise<void> {
    const joined = this.#topics.get(topic);
    if (joined === undefined) return;
    try {
      await joined.channel.handleInfo(message);
    } catch (error) {
      await this.#crash(joined, error);
    }
  }
}
