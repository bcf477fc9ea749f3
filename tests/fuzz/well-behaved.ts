/**
 * Well-behaved clients for the fuzz harness: they check that, whatever the
 * attackers do, their own messages all come back, in order.
 */
import WebSocket from 'ws';

const WAIT_MS = 5_000;

/** A ws client with a bounded wait for "something became true on a message". */
class Client {
  protected ws: WebSocket;
  #check: (() => void) | null = null;
  #closed: Promise<void>;

  protected constructor(ws: WebSocket) {
    this.ws = ws;
    this.#closed = new Promise((resolve) => ws.once('close', () => resolve()));
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => {
      this.onMessage(isBinary ? '' : String(data));
      this.#check?.();
    });
  }

  protected static connect(url: string): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { handshakeTimeout: WAIT_MS });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  }

  protected onMessage(text: string): void {
    void text;
  }

  /** Resolves true when `condition` holds (checked on every message), false after WAIT_MS or on close. */
  protected waitFor(condition: () => boolean): Promise<boolean> {
    if (condition()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.#check = null;
        resolve(ok);
      };
      const timer = setTimeout(done, WAIT_MS, false);
      this.#closed.then(() => done(condition()));
      this.#check = () => {
        if (condition()) done(true);
      };
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#closed, new Promise((resolve) => (timer = setTimeout(resolve, WAIT_MS)))]);
    clearTimeout(timer);
    this.ws.terminate();
  }
}

/** Sends bursts to the echo route and checks every reply, in order. */
export class WellBehavedEcho extends Client {
  readonly #name: string;
  #seq = 0;
  #expected: string[] = [];
  received = 0;
  mismatches = 0;

  private constructor(ws: WebSocket, name: string) {
    super(ws);
    this.#name = name;
  }

  static async open(url: string, name: string): Promise<WellBehavedEcho> {
    return new WellBehavedEcho(await Client.connect(url), name);
  }

  protected override onMessage(text: string): void {
    const expected = this.#expected.shift();
    if (text !== expected) this.mismatches++;
    this.received++;
  }

  /** Sends `n` messages at once and waits for all `n` echoes. */
  async exchange(n: number): Promise<void> {
    if (!this.open) {
      this.mismatches += n;
      return;
    }
    for (let i = 0; i < n; i++) {
      const text = `${this.#name}:${this.#seq++}`;
      this.#expected.push(text);
      this.ws.send(text);
    }
    const ok = await this.waitFor(() => this.#expected.length === 0);
    if (!ok) {
      this.mismatches += this.#expected.length;
      this.#expected.length = 0;
    }
  }

  async runUntil(deadline: number): Promise<void> {
    while (Date.now() < deadline && this.open) await this.exchange(10);
  }
}

/** A member of the `good` chat room: sends numbered messages, expects everyone's, per sender in order. */
export class WellBehavedChat extends Client {
  readonly #index: number;
  /** Messages this client sent. */
  sent = 0;
  /** Received count per sender index. */
  readonly #received: number[] = [];
  outOfOrder = 0;

  private constructor(ws: WebSocket, index: number) {
    super(ws);
    this.#index = index;
  }

  static async open(url: string, index: number): Promise<WellBehavedChat> {
    return new WellBehavedChat(await Client.connect(url), index);
  }

  protected override onMessage(text: string): void {
    let message: { from?: unknown; seq?: unknown };
    try {
      message = JSON.parse(text) as { from?: unknown; seq?: unknown };
    } catch {
      this.outOfOrder++;
      return;
    }
    const from = Number(message.from);
    const got = this.#received[from] ?? 0;
    if (message.seq !== got) this.outOfOrder++;
    this.#received[from] = got + 1;
  }

  /** Sends one message at a time, each after its own echo through the group came back. */
  async runUntil(deadline: number): Promise<void> {
    while (Date.now() < deadline && this.open) {
      const seq = this.sent++;
      this.ws.send(JSON.stringify({ from: this.#index, seq }));
      if (!(await this.waitFor(() => (this.#received[this.#index] ?? 0) > seq))) return;
    }
  }

  hasAll(sent: number[]): boolean {
    return this.missing(sent) === 0;
  }

  missing(sent: number[]): number {
    let missing = 0;
    sent.forEach((n, from) => (missing += Math.max(0, n - (this.#received[from] ?? 0))));
    return missing;
  }
}
