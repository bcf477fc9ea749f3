/**
 * The blocking-pop loop of one process on one Redis server. It runs only
 * while some receiver waits, on a dedicated connection, popping from every
 * watched queue key with one BZPOPMIN. A key that starts being watched while
 * the loop is blocked wakes it through the process's own wake key, so a new
 * receiver never waits for the block timeout.
 */
import { isServerError, type RedisNode } from './connection';
import { WAKE } from './lua';

/** What the loop asks of its layer. */
export interface PollerHost {
  /** Redis keys to pop from now; empty stops the loop until the next `kick`. */
  watchKeys(): string[];
  /** One popped member with its score (send time, seconds). */
  onPopped(key: string, member: Buffer, score: number): void;
  /** After a pop, also take up to this many more from `key` without blocking (0: none). */
  drainCount(key: string): number;
  /** A server error the loop cannot fix (e.g. a key of the wrong type). */
  onServerError(error: Error): void;
}

const SERVER_ERROR_PAUSE_MS = 1000;

/** One pop loop per (layer, Redis server). */
export class QueuePoller {
  readonly #node: RedisNode;
  readonly #wakeKey: string;
  readonly #host: PollerHost;
  readonly #blockSeconds: number;
  #running = false;
  #stopped = false;
  #current = new Set<string>();
  #pause: NodeJS.Timeout | undefined;

  constructor(node: RedisNode, wakeKey: string, host: PollerHost, blockSeconds: number) {
    this.#node = node;
    this.#wakeKey = wakeKey;
    this.#host = host;
    this.#blockSeconds = blockSeconds;
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
        const reply = (await client.sendCommand(
          ['BZPOPMIN', ...keys, this.#wakeKey, String(this.#blockSeconds)],
          options,
        )) as [Buffer, Buffer, Buffer] | null;
        if (reply === null || this.#stopped) continue;
        const key = reply[0].toString();
        if (key === this.#wakeKey) continue;
        this.#host.onPopped(key, reply[1], Number(reply[2].toString()));
        const drain = this.#host.drainCount(key);
        if (drain > 0) {
          const more = (await client.sendCommand(['ZPOPMIN', key, String(drain)], options)) as Buffer[];
          for (let i = 0; i + 1 < more.length && !this.#stopped; i += 2) {
            this.#host.onPopped(key, more[i]!, Number(more[i + 1]!.toString()));
          }
        }
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
}
