/**
 * Background workers (Django's runworker): read named channels from the
 * layer and feed their messages to an application with a `channel` scope,
 * one application instance per channel, messages in order.
 *
 * Flow control: a channel's reader takes the next message from the layer
 * only once the instance has taken the previous one, so unprocessed work
 * stays in the layer (where capacity and expiry apply), not in memory here.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Application, ChannelScope, Event } from '../application';
import { InvalidEvent, InvalidOption, LayerClosed, ReceiveAborted, StopConsumer } from '../errors';
import type { ChannelLayer, LayerMessage } from '../layers/channel-layer';
import { assertChannelName, isProcessLocal } from '../layers/names';

/** Options of runWorker. */
export interface WorkerOptions {
  /** Typically a ChannelNameRouter (or a ProtocolTypeRouter with a `channel` entry). */
  application: Application<any>;
  /** Channel names to read; process-local names (with `!`) are refused. */
  channels: readonly string[];
  layer: ChannelLayer;
  /** Lifecycle and error lines. Default: none. */
  log?: (line: string) => void;
  /** How long `stop()` waits for instances to return, in ms. Default 5000. */
  stopTimeoutMs?: number;
}

/** A running worker. */
export interface WorkerHandle {
  readonly channels: readonly string[];
  /** Abort the reads, end every instance (its pending receive throws StopConsumer), wait for them. Idempotent. */
  stop(): Promise<void>;
}

const RETRY_MS = 200;

/** Why a worker application cannot send: it has no client. */
async function refuseSend(event: Event): Promise<void> {
  throw new InvalidEvent(
    `a worker application has no client to send ${JSON.stringify(event?.type)} to; ` +
      'use this.channelLayer.send() or groupSend() to reach other consumers',
  );
}

/** One channel: a reader loop and at most one live application instance. */
class ChannelRunner {
  readonly #channel: string;
  readonly #options: WorkerOptions;
  readonly #signal: AbortSignal;
  readonly #scope: ChannelScope;
  #queue: LayerMessage[] = [];
  #waiter: ((message: LayerMessage) => void) | null = null;
  #waiterReject: ((error: Error) => void) | null = null;
  #space: (() => void) | null = null;
  #instance: Promise<void> | null = null;
  #stopping = false;
  readonly loop: Promise<void>;

  constructor(channel: string, options: WorkerOptions, signal: AbortSignal) {
    this.#channel = channel;
    this.#options = options;
    this.#signal = signal;
    this.#scope = { type: 'channel', channel };
    this.loop = this.#read();
  }

  async #read(): Promise<void> {
    const { layer, log } = this.#options;
    while (!this.#signal.aborted) {
      if (this.#queue.length > 0) {
        await new Promise<void>((resolve) => (this.#space = resolve));
        this.#space = null;
        continue;
      }
      let message: LayerMessage;
      try {
        message = await layer.receive(this.#channel, { signal: this.#signal });
      } catch (error) {
        if (this.#signal.aborted || error instanceof ReceiveAborted || error instanceof LayerClosed) return;
        log?.(`worker: receive on ${this.#channel} failed (${(error as Error).message}); retrying`);
        await delay(RETRY_MS, undefined, { signal: this.#signal }).catch(() => undefined);
        continue;
      }
      this.#deliver(message);
    }
  }

  #deliver(message: LayerMessage): void {
    if (this.#waiter !== null) {
      const resolve = this.#waiter;
      this.#waiter = this.#waiterReject = null;
      resolve(message);
    } else {
      this.#queue.push(message);
    }
    if (this.#instance === null) this.#start();
  }

  readonly #receive = (): Promise<Event> => {
    if (this.#queue.length > 0) {
      const message = this.#queue.shift()!;
      this.#space?.();
      return Promise.resolve(message);
    }
    if (this.#stopping) return Promise.reject(new StopConsumer('worker stopping'));
    return new Promise<Event>((resolve, reject) => {
      this.#waiter = resolve as (message: LayerMessage) => void;
      this.#waiterReject = reject;
    });
  };

  #start(): void {
    const { application, log } = this.#options;
    this.#instance = (async () => {
      try {
        await application(this.#scope, this.#receive, refuseSend);
      } catch (error) {
        if (!(error instanceof StopConsumer)) {
          log?.(`worker: the application for channel ${this.#channel} failed: ${(error as Error)?.stack ?? String(error)}`);
        }
      }
    })().finally(() => {
      this.#instance = null;
      this.#waiter = this.#waiterReject = null;
      // Messages it never took go to a fresh instance, as Django's worker does.
      if (this.#queue.length > 0 && !this.#stopping) this.#start();
      else this.#space?.();
    });
  }

  /** Stop: the instance's pending (or next) receive throws StopConsumer. */
  async stop(timeoutMs: number): Promise<boolean> {
    this.#stopping = true;
    this.#queue = [];
    this.#space?.();
    const reject = this.#waiterReject;
    this.#waiter = this.#waiterReject = null;
    reject?.(new StopConsumer('worker stopping'));
    await this.loop;
    const instance = this.#instance;
    if (instance === null) return true;
    const timer = delay(timeoutMs, false, { ref: false });
    return Promise.race([instance.then(() => true), timer]);
  }
}

/**
 * Throws unless a worker can read `channel`: a valid channel name
 * (InvalidChannelName) that is not process-local (InvalidOption).
 */
export function assertWorkerChannel(channel: string): void {
  assertChannelName(channel);
  if (isProcessLocal(channel)) {
    throw new InvalidOption(`runWorker: ${JSON.stringify(channel)} is a process-local channel name; workers read named channels such as "thumbnails"`);
  }
}

/**
 * Run `application` on `channels` of `layer` until `stop()`.
 *
 * @example
 * const worker = runWorker({
 *   application: ChannelNameRouter({ 'chat-bot': BotConsumer.asApp() }),
 *   channels: ['chat-bot'],
 *   layer: getChannelLayer()!,
 * });
 * process.once('SIGTERM', () => void worker.stop());
 */
export function runWorker(options: WorkerOptions): WorkerHandle {
  const { application, layer, stopTimeoutMs = 5000 } = options;
  if (typeof application !== 'function') throw new InvalidOption('runWorker: application must be a function (scope, receive, send)');
  if (layer === null || typeof layer !== 'object' || typeof layer.receive !== 'function') {
    throw new InvalidOption('runWorker: layer must be a ChannelLayer (e.g. getChannelLayer())');
  }
  const channels = [...new Set(options.channels)];
  if (channels.length === 0) throw new InvalidOption('runWorker: name at least one channel to read');
  for (const channel of channels) assertWorkerChannel(channel);
  const abort = new AbortController();
  const runners = channels.map((channel) => new ChannelRunner(channel, options, abort.signal));
  let stopping: Promise<void> | undefined;
  return {
    channels,
    stop() {
      stopping ??= (async () => {
        abort.abort();
        const finished = await Promise.all(runners.map((runner) => runner.stop(stopTimeoutMs)));
        const stuck = finished.filter((ok) => !ok).length;
        if (stuck > 0) options.log?.(`worker: ${stuck} application instance(s) did not stop within ${stopTimeoutMs} ms; abandoned`);
      })();
      return stopping;
    },
  };
}
