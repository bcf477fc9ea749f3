/**
 * Shared machinery of the channel layer conformance suite: a fake clock,
 * bounded waits, unique names, and a tracker that closes every layer a test
 * made. Nothing here is process-global, so several backends' suites can run
 * side by side.
 */
import type { ChannelLayer, ChannelLayerOptions } from '../../src/layers/channel-layer';

/** Builds a layer for one test. Layers made in the same test must share backend state when `crossInstance` is true. */
export type LayerFactory = (options: ChannelLayerOptions & { clock?: () => number }) => Promise<ChannelLayer>;

/** What a backend can do; a missing flag means the default. */
export interface ContractCapabilities {
  /**
   * Two layers from the factory in one test share backend state and act as
   * two processes of one deployment (Redis: true). Memory: false (default),
   * since two memory layers are separate worlds.
   */
  crossInstance?: boolean;
  /** Channels with a fixed name (worker channels) exist. Default true; Redis Cluster pub/sub has only process-local ones. */
  namedChannels?: boolean;
  /**
   * A full named (worker) member of a group is reported by a `'dropped'`
   * event after groupSend resolved, not counted in its result (the pub/sub
   * layer with publishAck 'written' pushes to named members in the
   * background). Default false.
   */
  namedDropsLater?: boolean;
  /** Milliseconds a bounded wait for a message may take before the test fails. Default 5000. */
  timeoutMs?: number;
}

/** A clock the test advances by hand; starts at the real time so wall-clock backends accept it. */
export class FakeClock {
  #now = Date.now();
  /** Pass as the layer's `clock` option. */
  readonly now = (): number => this.#now;
  /** Move time forward by `seconds`. */
  advance(seconds: number): void {
    this.#now += seconds * 1000;
  }
}

/** Per-test state the cases share; reset before each test. */
export class Harness {
  readonly caps: Required<ContractCapabilities>;
  clock = new FakeClock();
  readonly #factory: LayerFactory;
  #layers: ChannelLayer[] = [];
  #counter = 0;
  #runId = Math.random().toString(36).slice(2, 8);

  constructor(factory: LayerFactory, caps: ContractCapabilities = {}) {
    this.#factory = factory;
    this.caps = { crossInstance: false, namedChannels: true, namedDropsLater: false, timeoutMs: 5000, ...caps };
  }

  /** A layer on the fake clock (unless `options.clock` is given), closed after the test. */
  async make(options: ChannelLayerOptions = {}): Promise<ChannelLayer> {
    const layer = await this.#factory({ clock: this.clock.now, ...options });
    this.#layers.push(layer);
    return layer;
  }

  /** A name no other test (of this or another suite sharing a backend) uses. */
  name(base = 'test'): string {
    return `${base}.${this.#runId}.${++this.#counter}`;
  }

  /** Resolve with `promise`, or fail with a message naming `what` after `timeoutMs`. */
  async within<T>(promise: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${this.caps.timeoutMs} ms waiting for ${what}`)), this.caps.timeoutMs);
    });
    try {
      return await Promise.race([promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Receive the next message on `channel` within the bounded wait. */
  next(layer: ChannelLayer, channel: string): Promise<Record<string, unknown>> {
    return this.within(layer.receive(channel), `a message on ${channel}`) as Promise<Record<string, unknown>>;
  }

  reset(): void {
    this.clock = new FakeClock();
  }

  async closeAll(): Promise<void> {
    const layers = this.#layers;
    this.#layers = [];
    await Promise.all(layers.map((layer) => layer.close()));
  }
}

/** The `code` of what `promise` rejects with (fails the test if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { code?: string; path?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string; path?: string };
  }
  throw new Error('expected the call to reject, but it resolved');
}
