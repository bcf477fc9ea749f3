/**
 * Drive any application in-process: the test plays the server, feeding input
 * events and reading the events the application sends, with no network.
 */
import type { Application, Event, Scope } from '../application';
import { CommunicatorTimeout, UnexpectedOutput } from '../errors';
import { EventQueue, markInbox } from '../inbox';

/** How the application call ended, as seen by `appResult`. */
export type AppOutcome = { status: 'resolved' } | { status: 'rejected'; error: unknown };

/**
 * Runs `app(scope, receive, send)` at once, with an input queue the test fills
 * (`sendInput`) and an output queue the test drains (`receiveOutput`).
 *
 * The input queue is the server's own inbox (an `EventQueue` behind a marked
 * `receive`): a consumer takes its events by push from it exactly as from a
 * real connection, reports each one handled the same way (`pendingInputs` is
 * the figure the server compares with `maxQueuedMessages`), and after a
 * disconnect `receive()` returns that disconnect again, as on the server.
 *
 * JavaScript cannot cancel a promise, so `stop()` only detaches: later outputs
 * are ignored and the application's `receive()` never resolves again. An
 * application that never returns is simply abandoned.
 *
 * @example
 * const comm = new ApplicationCommunicator(app, scope);
 * await comm.sendInput({ type: 'websocket.connect' });
 * expect(await comm.receiveOutput()).toEqual({ type: 'websocket.accept' });
 * await comm.stop();
 */
export class ApplicationCommunicator {
  /** The scope the application was called with. */
  readonly scope: Scope;
  /** Settles when the application returns; never rejects (see AppOutcome). */
  readonly appResult: Promise<AppOutcome>;

  #input = new EventQueue<Event>();
  #output: Event[] = [];
  #outputHead = 0;
  #listeners = new Set<() => void>();
  #outcome: AppOutcome | null = null;
  #stopped = false;

  constructor(app: Application, scope: Scope) {
    this.scope = scope;
    const receive = markInbox((): Promise<Event> => {
      if (this.#stopped) return new Promise<Event>(() => {});
      return this.#input.next();
    }, this.#input);
    const send = async (event: Event): Promise<void> => {
      if (this.#stopped) return;
      this.#output.push(event);
      this.#notify();
    };
    let running: Promise<void>;
    try {
      running = Promise.resolve(app(scope, receive, send));
    } catch (error) {
      running = Promise.reject(error);
    }
    this.appResult = running.then(
      (): AppOutcome => (this.#outcome = { status: 'resolved' }),
      (error: unknown): AppOutcome => (this.#outcome = { status: 'rejected', error }),
    );
    this.appResult.then(() => this.#notify());
  }

  /** True once the application has returned or thrown. */
  get finished(): boolean {
    return this.#outcome !== null;
  }

  /** True after `stop()`. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /**
   * Hand the application an input event (what its `receive()` returns next).
   * A disconnect is the last one, as on the server: later inputs are ignored.
   */
  async sendInput(event: Event): Promise<void> {
    if (this.#stopped) return;
    if (event.type === 'websocket.disconnect' || event.type === 'http.disconnect') this.#input.finish(event);
    else this.#input.push(event);
  }

  /**
   * Inputs sent and not yet handled: not yet read by `receive()`, or pushed
   * to a consumer that has not finished handling them. The server pauses
   * reading a client while this reaches its `maxQueuedMessages`.
   */
  get pendingInputs(): number {
    return this.#input.size;
  }

  /**
   * The next output event. Rejects with CommunicatorTimeout after `timeoutMs`;
   * with the application's error when it threw and every earlier output was
   * read; with UnexpectedOutput when it returned without sending another.
   */
  async receiveOutput(timeoutMs = 1000, expected = 'an output event'): Promise<Event> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const event = this.#takeOutput();
      if (event !== undefined) return event;
      this.#throwIfFinished(expected);
      const left = deadline - Date.now();
      if (left <= 0 || !(await this.#waitForChange(left))) {
        throw new CommunicatorTimeout(
          `waited ${timeoutMs} ms for ${expected}, but the application sent nothing` +
            (this.#stopped ? ' (the communicator was stopped)' : ''),
        );
      }
    }
  }

  /**
   * True when no output arrives within `timeoutMs` (the output, if any, is left
   * queued). `intervalMs` is accepted for API parity; waits are event-driven.
   */
  async receiveNothing(timeoutMs = 100, intervalMs?: number): Promise<boolean> {
    void intervalMs;
    if (this.#outputHead < this.#output.length) return false;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) return this.#outputHead >= this.#output.length;
      const changed = await this.#waitForChange(left);
      if (this.#outputHead < this.#output.length) return false;
      if (!changed) return true;
      if (this.#outcome) return true; // finished: nothing more can come
    }
  }

  /** Wait for the application to return; rethrows its error. */
  async wait(timeoutMs = 1000): Promise<void> {
    if (!this.#outcome) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.appResult.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(resolve, timeoutMs, true))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        throw new CommunicatorTimeout(`waited ${timeoutMs} ms for the application to finish, but it is still running`);
      }
    }
    const outcome = this.#outcome as AppOutcome | null;
    if (outcome && outcome.status === 'rejected') throw outcome.error;
  }

  /**
   * Detach from the application: later outputs are ignored and its `receive()`
   * never resolves again. The application is not cancelled (JavaScript cannot
   * cancel a promise); send it a disconnect event first if it should clean up.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#notify();
  }

  /** Outputs received but not yet read (for helpers building on this class). */
  protected get pendingOutputs(): number {
    return this.#output.length - this.#outputHead;
  }

  #takeOutput(): Event | undefined {
    if (this.#outputHead >= this.#output.length) return undefined;
    const event = this.#output[this.#outputHead++];
    if (this.#outputHead === this.#output.length) {
      this.#output.length = 0;
      this.#outputHead = 0;
    }
    return event;
  }

  #throwIfFinished(expected: string): void {
    const outcome = this.#outcome;
    if (!outcome) return;
    if (outcome.status === 'rejected') throw outcome.error;
    throw new UnexpectedOutput(`expected ${expected}, but the application returned without sending it`);
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }

  /** Resolves true at the next output/finish, false after `ms`. */
  #waitForChange(ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const done = (changed: boolean): void => {
        clearTimeout(timer);
        this.#listeners.delete(listener);
        resolve(changed);
      };
      const listener = (): void => done(true);
      const timer = setTimeout(done, ms, false);
      this.#listeners.add(listener);
    });
  }
}
