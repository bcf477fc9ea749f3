/**
 * The blocking-pop loop of one process on one Redis server. It runs only
 * while some receiver waits, on a dedicated connection, popping from every
 * watched queue key at once. A key that starts being watched while the loop
 * is blocked wakes it through the process's own wake key, so a new receiver
 * never waits for the block timeout.
 *
 * One command per wake-up: when every watched key is a process-local queue
 * (this process alone reads it), BZMPOP takes up to a batch from it in one
 * reply. A named channel may have readers in other processes, which take one
 * message each, so a watch list with one falls back to BZPOPMIN, plus one
 * ZPOPMIN batch when it popped from a process-local queue. Servers before
 * Redis 7 (no BZMPOP) use the fallback too.
 */
import { isServerError, type RedisNode } from './connection';
import { WAKE } from './lua';

/** What the loop asks of its layer. */
export interface PollerHost {
  /** Redis keys to pop from now; empty stops the loop until the next `kick`. */
  watchKeys(): string[];
  /**
   * Members popped from `key` in one reply, in score order: `flat` holds
   * member, score (bulk bytes), member, score... from index `start`.
   */
  onPopped(key: string, flat: readonly Buffer[], start: number): void;
  /** A server error the loop cannot fix (e.g. a key of the wrong type). */
  onServerError(error: Error): void;
}

/** How many members one wake-up takes from a process-local queue. */
export const LOCAL_BATCH = 64;

const SERVER_ERROR_PAUSE_MS = 1000;

type BlockingClient = Awaited<ReturnType<RedisNode['dedicated']>>;
type BlockingOptions = ReturnType<RedisNode['blockingOptions']>;

/** One pop loop per (layer, Redis server). */
export class QueuePoller {
  readonly #node: RedisNode;
  readonly #wakeKey: string;
  readonly #host: PollerHost;
  readonly #blockSeconds: number;
  readonly #batch: string;
  #running = false;
  #stopped = false;
  #current = new Set<string>();
  #pause: NodeJS.Timeout | undefined;
  /** False once this server refused BZMPOP (before Redis 7). */
  #multiPop = true;

  constructor(node: RedisNode, wakeKey: string, host: PollerHost, blockSeconds: number) {
    this.#node = node;
    this.#wakeKey = wakeKey;
    this.#host = host;
    this.#blockSeconds = blockSeconds;
    this.#batch = String(LOCAL_BATCH);
  }

  /** The watched keys may have grown (or the server is back): make sure the loop sees them. */
  kick(key?: string): void {
    if (this.#stopped || this.#pause !== undefined) return;
    if (!this.#running) {
      this.#running = true;
      void this.#run().catch(() => undefined);
      return;
    }
    if (key !== undefined && this.#current.has(key)) return;
    this.#node.eval(WAKE, [this.#wakeKey], []).catch(() => {
      // Down: the loop ends with the connection and restarts on the next kick.
    });
  }

  /** End the loop for good (the layer is closing). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#pause);
  }

  async #run(): Promise<void> {
    try {
      while (!this.#stopped) {
        const keys = this.#host.watchKeys();
        if (keys.length === 0 || !this.#node.ready) return;
        this.#current = new Set(keys);
        const client = await this.#node.dedicated('blocking');
        const options = this.#node.blockingOptions(this.#blockSeconds);
        if (this.#multiPop && keys.every((key) => key.endsWith('!'))) await this.#multiPopOnce(client, options, keys);
        else await this.#popOnce(client, options, keys);
      }
    } catch (error) {
      if (!this.#stopped && isServerError(error)) {
        this.#host.onServerError(error);
        this.#pause = setTimeout(() => {
          this.#pause = undefined;
          this.kick();
        }, SERVER_ERROR_PAUSE_MS);
        this.#pause.unref();
      }
      // Transport failures end the loop; the node's 'up' handler kicks it again.
    } finally {
      this.#running = false;
      this.#current = new Set();
    }
  }

  /** BZMPOP: up to a batch from the first non-empty key, one reply `[key, [[member, score], ...]]`. */
  async #multiPopOnce(client: BlockingClient, options: BlockingOptions, keys: string[]): Promise<void> {
    let reply: [Buffer, Array<[Buffer, Buffer]>] | null;
    try {
      reply = (await client.sendCommand(
        ['BZMPOP', String(this.#blockSeconds), String(keys.length + 1), ...keys, this.#wakeKey, 'MIN', 'COUNT', this.#batch],
        options,
      )) as [Buffer, Array<[Buffer, Buffer]>] | null;
    } catch (error) {
      if (isServerError(error) && /unknown command/i.test(error.message)) {
        this.#multiPop = false;
        return;
      }
      throw error;
    }
    if (reply === null || this.#stopped) return;
    const key = reply[0].toString();
    if (key === this.#wakeKey) return;
    const pairs = reply[1];
    const flat: Buffer[] = new Array<Buffer>(pairs.length * 2);
    for (let i = 0; i < pairs.length; i++) {
      flat[2 * i] = pairs[i]![0];
      flat[2 * i + 1] = pairs[i]![1];
    }
    this.#host.onPopped(key, flat, 0);
  }

  /** BZPOPMIN (one member), then a ZPOPMIN batch when the key is a process-local queue. */
  async #popOnce(client: BlockingClient, options: BlockingOptions, keys: string[]): Promise<void> {
    const reply = (await client.sendCommand(['BZPOPMIN', ...keys, this.#wakeKey, String(this.#blockSeconds)], options)) as
      | [Buffer, Buffer, Buffer]
      | null;
    if (reply === null || this.#stopped) return;
    const key = reply[0].toString();
    if (key === this.#wakeKey) return;
    this.#host.onPopped(key, reply, 1);
    if (!key.endsWith('!')) return;
    const more = (await client.sendCommand(['ZPOPMIN', key, String(LOCAL_BATCH - 1)], options)) as Buffer[];
    if (more.length > 0 && !this.#stopped) this.#host.onPopped(key, more, 0);
  }
}
