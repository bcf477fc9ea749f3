/**
 * One Redis server as a layer sees it: a command connection plus dedicated
 * ones (a blocking-pop connection, a subscriber) created on demand, all
 * replaced together when the server goes away.
 *
 * Reconnection is ours, not node-redis's: each client is created with
 * `reconnectStrategy: false` and `disableOfflineQueue`, so a dead socket ends
 * that client and every call fails at once. The node then retries with
 * capped, jittered exponential backoff and builds fresh clients; the layer's
 * `up` handler re-subscribes and restarts loops explicitly, because a fresh
 * client starts with no subscriptions at all.
 *
 * Every connection attempt (TCP connect, node-redis's handshake, our INFO
 * check) has one deadline, connectTimeout: node-redis's own `connectTimeout`
 * only bounds the TCP connect, so a server that accepts connections but never
 * answers (paused, wedged) would otherwise hold an attempt, and every retry
 * after it, forever.
 */
import { EventEmitter } from 'node:events';
import type { RedisClientOptions } from 'redis';
import { InvalidChannelLayerConfig, LayerClosed, LayerUnavailable } from '../../errors';
import { CommandWatchdog } from './command-watchdog';
import type { ConnectionTiming } from './connection-timing';
import type { RedisClientExtraOptions } from './redis-options';
import type { LuaScript } from './lua';
import { nodeRedis, type NodeRedisModule } from './redis-peer';

export { DEFAULT_TIMING, type ConnectionTiming } from './connection-timing';

/** A connected node-redis client (untyped commands only: we use sendCommand). */
export type RawClient = ReturnType<NodeRedisModule['createClient']>;

/** A command argument: text or bytes. */
export type Arg = string | Buffer;

/** What `up` reports. */
export interface UpInfo {
  /** True for the first successful connection of this node. */
  first: boolean;
  /** True when the server's run_id changed: it restarted and may have lost data. */
  restarted: boolean;
}

interface NodeEvents {
  down: [error: Error];
  up: [info: UpInfo];
}

type Dedicated = 'blocking' | 'subscriber';

/** A node-redis type mapping that returns bulk strings as Buffers. */
export type BufferMapping = Record<number, BufferConstructor>;

let buffered: { typeMapping: BufferMapping } | undefined;

/**
 * Command options of node-redis that return bulk strings as Buffers. Shared,
 * so a command allocates no options object; no `timeout`: the connection's
 * watchdog is the deadline. Built on first use, after node-redis is loaded.
 */
function bufferedOptions(): { typeMapping: BufferMapping } {
  return (buffered ??= { typeMapping: { [nodeRedis().RESP_TYPES.BLOB_STRING]: Buffer } });
}

/** node-redis type mapping that returns bulk strings as Buffers. */
export function bufferMapping(): BufferMapping {
  return bufferedOptions().typeMapping;
}

/** The command connection and the watchdog of its replies. */
interface CommandConnection {
  client: RawClient;
  watchdog: CommandWatchdog;
}

/** Delay before reconnection attempt `retries` (0-based): capped exponential backoff with jitter (half to all of it). */
export function retryDelay(retries: number, timing: ConnectionTiming): number {
  const base = Math.min(timing.retryMaxDelay, timing.retryMinDelay * 2 ** Math.min(retries, 16));
  return base / 2 + Math.random() * (base / 2);
}

/** True for an error the server replied with (wrong type, NOSCRIPT...), as opposed to a transport failure. */
export function isServerError(error: unknown): error is Error {
  return error instanceof nodeRedis().ErrorReply;
}

/**
 * A Redis server with self-managed reconnection. Emits `down` once per
 * outage and `up` after each successful (re)connection.
 */
export class RedisNode extends EventEmitter<NodeEvents> {
  /** The server URL (credentials included; never logged). */
  readonly url: string;
  /** `host:port`, for messages. */
  readonly label: string;

  readonly #timing: ConnectionTiming;
  readonly #clientOptions: Partial<RedisClientOptions>;
  #state: 'idle' | 'connecting' | 'ready' | 'down' | 'misconfigured' | 'closed' = 'idle';
  /** Set when the server refused the configuration itself (a database it does not have): retrying cannot help. */
  #configError: InvalidChannelLayerConfig | undefined;
  #everConnected = false;
  #runId: string | undefined;
  #command: CommandConnection | undefined;
  #dedicated = new Map<Dedicated, Promise<RawClient>>();
  #generation = 0;
  #attempt: Promise<void> | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #retries = 0;
  #lastError: Error | undefined;
  /** Cancels the connection attempts in flight (close() must not wait for their deadlines). */
  #opening = new Set<(error: Error) => void>();

  constructor(url: string, timing: ConnectionTiming, clientOptions: RedisClientExtraOptions = {}) {
    super();
    nodeRedis(); // a missing node-redis is reported when the layer is created, not at the first command
    this.url = url;
    this.#timing = timing;
    this.#clientOptions = clientOptions as Partial<RedisClientOptions>;
    let label = url;
    try {
      const parsed = new URL(url);
      label = `${parsed.hostname}:${parsed.port || '6379'}`;
    } catch {
      // Not a URL we can parse: createClient will report it.
    }
    this.label = label;
  }

  /** The server's run_id as read on the current connection ('' before the first one): it changes when the server restarts. */
  get runId(): string {
    return this.#runId ?? '';
  }

  /** True while the command connection is up. */
  get ready(): boolean {
    return this.#state === 'ready';
  }

  /** Connect now (first call only); later calls return the same attempt. Never rejects. */
  start(): Promise<void> {
    if (this.#state === 'idle') this.#connect();
    return this.#attempt ?? Promise.resolve();
  }

  /**
   * Run a command. Before the first connection finishes it waits for it
   * (bounded by connectTimeout); when the server is down it throws
   * LayerUnavailable at once. Server error replies are rethrown as they are.
   */
  async command<T = unknown>(args: readonly Arg[], buffers = false): Promise<T> {
    const { client, watchdog } = await this.#commandConnection();
    watchdog.sent();
    try {
      return (await client.sendCommand(args, buffers ? bufferedOptions() : undefined)) as T;
    } catch (error) {
      throw this.#wrap(error);
    } finally {
      watchdog.settled();
    }
  }

  /** Run a Lua script by SHA, loading it with EVAL when the server does not have it (e.g. after a restart). */
  async eval<T = unknown>(lua: LuaScript, keys: readonly Arg[], args: readonly Arg[], buffers = false): Promise<T> {
    const rest = [String(keys.length), ...keys, ...args];
    try {
      return await this.command<T>(['EVALSHA', lua.sha, ...rest], buffers);
    } catch (error) {
      if (!(isServerError(error) && error.message.startsWith('NOSCRIPT'))) throw error;
      return this.command<T>(['EVAL', lua.source, ...rest], buffers);
    }
  }

  /**
   * A dedicated connection of this generation (created on first use): a
   * blocking command or subscriptions on it cannot delay other commands.
   * Throws LayerUnavailable while the server is down.
   */
  async dedicated(kind: Dedicated): Promise<RawClient> {
    await this.#commandConnection();
    let pending = this.#dedicated.get(kind);
    if (pending === undefined) {
      const generation = this.#generation;
      pending = this.#open(generation).catch((error: unknown) => {
        if (this.#dedicated.get(kind) === pending) this.#dedicated.delete(kind);
        throw this.#wrap(error);
      });
      this.#dedicated.set(kind, pending);
    }
    return pending;
  }

  /** Options for a raw blocking command on a dedicated client: buffers, and a timeout past the block time. */
  blockingOptions(blockSeconds: number): { timeout: number; typeMapping: BufferMapping } {
    return { timeout: blockSeconds * 1000 + this.#timing.commandTimeout, typeMapping: bufferMapping() };
  }

  /** Turn a transport failure into LayerUnavailable (server replies and ours pass through). */
  wrap(error: unknown): Error {
    return this.#wrap(error);
  }

  /** Close every connection and stop retrying. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#retryTimer);
    for (const cancel of [...this.#opening]) cancel(new LayerClosed('Redis connection'));
    this.#teardown();
  }

  async #commandConnection(): Promise<CommandConnection> {
    if (this.#state === 'idle') this.#connect();
    if (this.#state === 'connecting' && !this.#everConnected) await this.#attempt;
    if (this.#state === 'closed') throw new LayerClosed('Redis connection');
    if (this.#configError !== undefined) throw this.#configError;
    if (this.#state !== 'ready' || this.#command === undefined) {
      throw new LayerUnavailable(
        `Redis at ${this.label} is unreachable${this.#lastError ? ` (${this.#lastError.message})` : ''}; ` +
          'the layer keeps reconnecting in the background and emits "reconnected" when it is back',
        { cause: this.#lastError },
      );
    }
    return this.#command;
  }

  #wrap(error: unknown): Error {
    if (isServerError(error) || error instanceof LayerUnavailable || error instanceof LayerClosed || error instanceof InvalidChannelLayerConfig) {
      return error as Error;
    }
    if (this.#state === 'closed') return new LayerClosed('Redis connection');
    const cause = this.#reason(error);
    return new LayerUnavailable(`Redis at ${this.label} failed: ${cause.message}`, { cause, inFlight: true });
  }

  /** Why a command failed: when we dropped its connection ourselves, the reason we did. */
  #reason(error: unknown): Error {
    if (error instanceof nodeRedis().DisconnectsClientError && this.#lastError !== undefined) return this.#lastError;
    return error instanceof Error ? error : new Error(String(error));
  }

  /** The command connection of `generation` answered nothing for commandTimeout while commands waited. */
  #stalled(generation: number): void {
    if (generation !== this.#generation || this.#state !== 'ready') return;
    this.#lost(generation, new Error(`no reply within ${this.#timing.commandTimeout} ms while commands waited; connection dropped`));
  }

  #connect(): void {
    this.#state = 'connecting';
    const generation = ++this.#generation;
    let runId: string | undefined;
    const readRunId = async (client: RawClient): Promise<void> => {
      runId = /run_id:(\w+)/.exec(String(await client.sendCommand(['INFO', 'server'])))?.[1];
    };
    this.#attempt = this.#open(generation, readRunId).then(
      (client) => {
        if (generation !== this.#generation || this.#state !== 'connecting') {
          destroyQuietly(client);
          return;
        }
        const watchdog = new CommandWatchdog(this.#timing.commandTimeout, () => this.#stalled(generation));
        this.#command = { client, watchdog };
        this.#state = 'ready';
        this.#retries = 0;
        this.#lastError = undefined;
        const first = !this.#everConnected;
        const restarted = !first && runId !== undefined && runId !== this.#runId;
        this.#everConnected = true;
        this.#runId = runId;
        this.emit('up', { first, restarted });
      },
      (error: unknown) => this.#failed(generation, error),
    ).catch(() => undefined); // listeners are the layer's own and do not throw; never leave this chain rejected
  }

  /**
   * Create and connect one client of `generation` and run `check` on it, all
   * within connectTimeout; past it the client is abandoned and the node learns
   * of it as of any lost connection. The client's death marks the node down.
   */
  async #open(generation: number, check?: (client: RawClient) => Promise<void>): Promise<RawClient> {
    const { connectTimeout } = this.#timing;
    const client = nodeRedis().createClient({
      ...this.#clientOptions,
      url: this.url,
      disableOfflineQueue: true,
      socket: {
        ...(this.#clientOptions.socket ?? {}),
        connectTimeout,
        reconnectStrategy: false,
      } as RedisClientOptions['socket'],
    }) as RawClient;
    // An 'error' event without a listener would crash the process.
    const onError = (error: Error): void => {
      if (!client.isReady) this.#lost(generation, error);
    };
    const onEnd = (): void => this.#lost(generation, new Error('connection closed'));
    client.on('error', onError);
    client.on('end', onEnd);
    let tcpUp = false;
    client.once('connect', () => {
      tcpUp = true;
    });

    let cancel!: (error: Error) => void;
    const cancelled = new Promise<never>((_, reject) => {
      cancel = reject;
    });
    this.#opening.add(cancel);
    const deadline = setTimeout(() => {
      const error = new Error(`no answer within ${connectTimeout} ms while connecting; attempt abandoned`);
      this.#lost(generation, error);
      cancel(error);
    }, connectTimeout);
    deadline.unref();
    try {
      // race() handles the losing connect's rejection, which comes once the client is destroyed.
      await Promise.race([connectAndCheck(client, check), cancelled]);
    } catch (error) {
      client.off('error', onError);
      client.off('end', onEnd);
      abandon(client, tcpUp);
      throw error;
    } finally {
      clearTimeout(deadline);
      this.#opening.delete(cancel);
    }
    if (generation !== this.#generation || this.#state === 'closed') {
      destroyQuietly(client);
      throw new LayerUnavailable(`Redis at ${this.label}: connection superseded`);
    }
    return client;
  }

  #lost(generation: number, error: Error): void {
    if (generation !== this.#generation) return;
    if (this.#state === 'ready') {
      this.#lastError = error;
      this.#state = 'down';
      this.#teardown();
      this.emit('down', error);
      this.#scheduleRetry();
    } else if (this.#state === 'connecting') {
      this.#lastError = error;
    }
  }

  #failed(generation: number, error: unknown): void {
    if (generation !== this.#generation || this.#state === 'closed') return;
    this.#lastError = error instanceof Error ? error : new Error(String(error));
    const wasConnecting = this.#state === 'connecting';
    const configError = configurationErrorOf(error, this.label);
    if (configError !== undefined) {
      // The server answered and refused the configuration: report that, and stop retrying.
      this.#configError = configError;
      this.#lastError = configError;
      this.#state = 'misconfigured';
      this.#teardown();
      this.emit('down', configError);
      return;
    }
    this.#state = 'down';
    this.#teardown();
    if (wasConnecting && !this.#everConnected && this.#retries === 0) this.emit('down', this.#lastError);
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (this.#state === 'closed') return;
    const delay = retryDelay(this.#retries, this.#timing);
    this.#retries++;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      if (this.#state === 'down') this.#connect();
    }, delay);
    this.#retryTimer.unref();
  }

  #teardown(): void {
    this.#generation++;
    const command = this.#command;
    this.#command = undefined;
    if (command !== undefined) {
      command.watchdog.stop();
      destroyQuietly(command.client);
    }
    const dedicated = [...this.#dedicated.values()];
    this.#dedicated.clear();
    for (const pending of dedicated) pending.then(destroyQuietly, () => undefined);
  }
}

/**
 * A reply that says the URL itself is wrong (SELECT of a database the server
 * does not have), as a configuration error naming the part; undefined for
 * anything a retry may cure.
 */
function configurationErrorOf(error: unknown, label: string): InvalidChannelLayerConfig | undefined {
  if (!isServerError(error) || !/DB index is out of range|invalid DB index/i.test(error.message)) return undefined;
  return new InvalidChannelLayerConfig(
    `Redis at ${label} refused the database number in the layer URL (${error.message}); ` +
      'use a database the server has (/0 to /15 on a default server, or raise its `databases` setting)',
    'database',
    { cause: error },
  );
}

async function connectAndCheck(client: RawClient, check: ((client: RawClient) => Promise<void>) | undefined): Promise<void> {
  await client.connect();
  await check?.(client);
}

/**
 * Drop a client whose connection attempt failed or ran out of time, without
 * leaving a socket behind or an event unheard.
 *
 * Destroying a client mid-handshake fails the handshake, so node-redis then
 * emits 'error' (a SocketClosedUnexpectedlyError, or a TypeError from its own
 * cleanup) and rejects connect(): both are consequences of our own destroy(),
 * so a listener swallows them. Before the TCP connection is up, destroy()
 * cannot reach the socket being connected (node-redis only holds it once
 * connected) but would mark the client closed, after which nothing could end
 * that socket: so wait for it to connect and destroy then, or for node-redis's
 * own TCP timeout (the same connectTimeout) to end it.
 */
function abandon(client: RawClient, tcpUp: boolean): void {
  client.on('error', () => undefined);
  if (tcpUp) destroyQuietly(client);
  else client.once('connect', () => destroyQuietly(client));
}

function destroyQuietly(client: RawClient): void {
  try {
    if (client.isOpen) client.destroy();
  } catch {
    // Already closed.
  }
}
