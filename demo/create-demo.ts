/**
 * The demo application assembled: express for pages, Switchyard for the
 * websockets, a presence tracker and its local fan-out, and (by default) the
 * bot running in this process. `createDemo()` is what `npm run demo` and the
 * tests start.
 */
import {
  AllowedHostsOriginValidator,
  NoChannelLayer,
  PresenceTracker,
  ProtocolTypeRouter,
  RateLimitMiddleware,
  URLRouter,
  closeChannelLayers,
  getChannelLayer,
  path,
  rePath,
  runWorker,
  serve,
  type ChannelLayer,
  type ServerOptions,
  type SwitchyardServer,
  type WorkerHandle,
} from 'switchyard-channels';
import { BOT_CHANNEL, createBotApplication } from './chat-bot';
import { CHAT_ROUTE, ChatConsumer } from './chat-consumer';
import { LobbyConsumer } from './lobby-consumer';
import { createRoomSocket } from './room-channel';
import { PresenceFeed } from './presence-feed';
import { createWebApp } from './web';
import { assertRoomHistory } from './history';

/** Options of createDemo. */
export interface DemoOptions {
  /** Default 8000; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Alias of the channel layer to use (see configureChannelLayers). Default `'default'`. */
  layerAlias?: string;
  /** Host names pages may be served from (origin check). Default localhost, 127.0.0.1, [::1]. */
  allowedHosts?: string[];
  /** Run the bot in this process. Default true. */
  bot?: boolean;
  /** Presence heartbeat in ms (members of a dead process go after about 4 heartbeats). Default 5000. */
  heartbeatMs?: number;
  /** Per-connection limit on incoming frames per second. Default 2000. */
  messagesPerSecond?: number;
  /**
   * WebSocket connections the demo holds at most (then 503). Default 1000: keep it
   * under the process's file-descriptor limit (`ulimit -n`) minus what the rest needs.
   */
  maxConnections?: number;
  /** WebSocket connections one client address may hold (then 429). Default 32. */
  maxConnectionsPerAddress?: number;
  /** Prometheus metrics at /metrics (the server's `metrics` option). Default false. */
  metrics?: ServerOptions['metrics'];
  /** The live dashboard at /dashboard (the server's `dashboard` option). Default false. */
  dashboard?: ServerOptions['dashboard'];
}

/** A running demo. */
export interface Demo {
  readonly server: SwitchyardServer;
  /** e.g. `http://127.0.0.1:8000`. */
  readonly url: string;
  readonly port: number;
  readonly layer: ChannelLayer;
  readonly presence: PresenceTracker;
  readonly feed: PresenceFeed;
  /** The in-process bot, when running. */
  readonly bot: WorkerHandle | null;
  /**
   * Stop the bot, close every connection and the presence tracker, then (unless
   * `closeLayers: false`, for several demos in one process) every registered channel layer.
   */
  close(options?: { closeLayers?: boolean }): Promise<void>;
}

/**
 * Start the chat-rooms demo. Its layer must keep the rooms' history: configure
 * it with `demoLayerConfig(url)`.
 *
 * @example
 * configureChannelLayers({ default: demoLayerConfig('memory://') });
 * const demo = await createDemo({ port: 0 });
 * console.log(`open ${demo.url}`);
 * await demo.close();
 */
export async function createDemo(options: DemoOptions = {}): Promise<Demo> {
  const alias = options.layerAlias ?? 'default';
  const layer = getChannelLayer(alias);
  if (layer === null) throw new NoChannelLayer(`createDemo({ layerAlias: ${JSON.stringify(alias)} })`);
  // Recovery and the newcomer's backlog are part of the demo's protocol: refuse a layer without them.
  assertRoomHistory(layer, alias);

  const presence = new PresenceTracker(layer, { heartbeatMs: options.heartbeatMs ?? 5000 });
  await presence.ready();
  const feed = new PresenceFeed(presence);

  // Consumers find their layer by alias: a demo on another alias gets subclasses pinned to it.
  const Chat =
    alias === 'default'
      ? ChatConsumer
      : class extends ChatConsumer {
          static override channelLayerAlias = alias;
        };
  const Lobby =
    alias === 'default'
      ? LobbyConsumer
      : class extends LobbyConsumer {
          static override channelLayerAlias = alias;
        };
  const websocket = AllowedHostsOriginValidator(
    URLRouter([
      path(
        CHAT_ROUTE,
        RateLimitMiddleware(Chat.asApp({ presence, feed }), { messagesPerSecond: options.messagesPerSecond ?? 2000 }),
      ),
      path('ws/lobby/', Lobby.asApp({ feed })),
      // The room page: Phoenix Channels through phoenix.js (room-channel.ts). rePath, not path: the
      // middleware hides the socket's own router, so the prefix is matched here (it serves socket/websocket).
      rePath(/^socket\//, RateLimitMiddleware(createRoomSocket(presence, alias), { messagesPerSecond: options.messagesPerSecond ?? 2000 })),
    ]),
    options.allowedHosts ?? [],
  );
  const application = ProtocolTypeRouter({ http: createWebApp(feed), websocket });

  const bot =
    options.bot === false ? null : runWorker({ application: createBotApplication(presence, alias), channels: [BOT_CHANNEL], layer });
  let server: SwitchyardServer;
  try {
    server = await serve(application, {
      port: options.port ?? 8000,
      host: options.host ?? '127.0.0.1',
      maxPayload: 64 * 1024,
      maxConnections: options.maxConnections ?? 1000,
      maxConnectionsPerAddress: options.maxConnectionsPerAddress ?? 32,
      health: true,
      metrics: options.metrics ?? false,
      dashboard: options.dashboard ?? false,
    });
  } catch (error) {
    await bot?.stop();
    feed.close();
    await presence.close();
    throw error;
  }
  const address = server.address()!;
  // Listening on every interface: show the loopback address, which a browser on this machine can open.
  const shown = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  const host = shown.includes(':') ? `[${shown}]` : shown;

  let closing: Promise<void> | undefined;
  return {
    server,
    url: `http://${host}:${address.port}`,
    port: address.port,
    layer,
    presence,
    feed,
    bot,
    close({ closeLayers = true } = {}) {
      closing ??= (async () => {
        await bot?.stop();
        await server.close({ closeLayers: false, timeoutMs: 5000 });
        feed.close();
        await presence.close();
        if (closeLayers) await closeChannelLayers();
      })();
      return closing;
    },
  };
}
