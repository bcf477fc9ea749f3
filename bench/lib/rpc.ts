/**
 * Request/response over the Node IPC channel between the bench parent and its
 * children (servers, load generator). One request at a time is the common case,
 * but ids make overlapping calls safe.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** What a child announces once it is ready (first message it sends). */
export interface ReadyInfo {
  pid: number;
  /** Soft limit on open files inside the child (from /proc/self/limits). */
  fdLimit: number;
  /** Listening port, for servers. */
  port?: number;
}

interface RpcRequest {
  id: number;
  cmd: string;
  args: unknown;
}
interface RpcReply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** Child side: answer the parent's requests with these handlers. */
export function serveRpc(handlers: Record<string, (args: any) => unknown>): void {
  process.on('message', (raw: unknown) => {
    const req = raw as RpcRequest;
    const handler = handlers[req.cmd];
    const reply = (r: RpcReply) => {
      if (process.connected) process.send!(r);
    };
    if (!handler) {
      reply({ id: req.id, ok: false, error: `unknown command ${req.cmd}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(req.args))
      .then(
        (result) => reply({ id: req.id, ok: true, result }),
        (error: unknown) => reply({ id: req.id, ok: false, error: error instanceof Error ? error.stack ?? error.message : String(error) }),
      );
  });
  // The parent went away: never linger as an orphan holding sockets.
  process.on('disconnect', () => process.exit(0));
}

/** Child side: tell the parent we are ready. */
export function announceReady(info: ReadyInfo): void {
  process.send!({ id: 0, ok: true, result: info } satisfies RpcReply);
}

/** Soft limit on open files of this process. */
export function fdLimit(): number {
  try {
    const limits = require('node:fs').readFileSync('/proc/self/limits', 'utf8') as string;
    const line = limits.split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s+/)[3];
    return soft === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(soft);
  } catch {
    return Number.NaN;
  }
}

/** Options for spawning a bench child. */
export interface SpawnOptions {
  env?: Record<string, string>;
  /** Extra node flags, e.g. ['--cpu-prof']. */
  nodeFlags?: string[];
  /** Open-files limit to ask for (the child is started by `bash -c 'ulimit -n ...; exec node ...'`). */
  fdLimit?: number;
  /** ms to wait for the ready announcement. */
  readyTimeoutMs?: number;
  /** Print the child's stderr as it comes (otherwise only kept for error reports). */
  verbose?: boolean;
  cwd?: string;
}

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const TRANSPILE_REGISTER = path.join(__dirname, 'transpile-register.js');

/** Parent side handle on a child process speaking this RPC. */
export class RpcChild {
  readonly name: string;
  readonly process: ChildProcess;
  #nextId = 1;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  #stderrTail: string[] = [];
  #ready: Promise<ReadyInfo>;
  #exited = false;
  info: ReadyInfo | null = null;

  private constructor(name: string, child: ChildProcess, opts: SpawnOptions) {
    this.name = name;
    this.process = child;
    const keep = (chunk: Buffer) => {
      const text = chunk.toString();
      if (opts.verbose) process.stderr.write(text.replace(/^/gm, `[${name}] `));
      this.#stderrTail.push(text);
      if (this.#stderrTail.length > 40) this.#stderrTail.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.#ready = new Promise<ReadyInfo>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} was not ready within ${opts.readyTimeoutMs ?? 30_000} ms${this.tail()}`)), opts.readyTimeoutMs ?? 30_000);
      child.on('message', (raw: unknown) => {
        const reply = raw as RpcReply;
        if (reply.id === 0) {
          clearTimeout(timer);
          this.info = reply.result as ReadyInfo;
          resolve(this.info);
          return;
        }
        const pending = this.#pending.get(reply.id);
        if (!pending) return;
        this.#pending.delete(reply.id);
        clearTimeout(pending.timer);
        if (reply.ok) pending.resolve(reply.result);
        else pending.reject(new Error(`${name}: ${reply.error}`));
      });
      child.once('exit', (code, signal) => {
        this.#exited = true;
        clearTimeout(timer);
        const error = new Error(`${name} exited (code ${code}, signal ${signal})${this.tail()}`);
        reject(error);
        for (const p of this.#pending.values()) {
          clearTimeout(p.timer);
          p.reject(error);
        }
        this.#pending.clear();
      });
    });
    // A rejected ready promise that nobody awaits yet must not crash the parent.
    this.#ready.catch(() => undefined);
  }

  /** Spawn `node -r transpile-register.js <script> ...args` (tsc-style output, see that file) with an IPC channel. */
  static spawn(name: string, script: string, args: string[], opts: SpawnOptions = {}): RpcChild {
    const node = [process.execPath, '--expose-gc', ...(opts.nodeFlags ?? []), '--require', TRANSPILE_REGISTER, script, ...args];
    const limit = opts.fdLimit ?? 0;
    // Raise the open-files limit for this child only; fall back to the hard limit.
    const cmd = limit > 0 ? `ulimit -n ${limit} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"` : 'exec "$@"';
    const child = spawn('bash', ['-c', cmd, 'bash', ...node], {
      cwd: opts.cwd ?? REPO_ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    return new RpcChild(name, child, opts);
  }

  ready(): Promise<ReadyInfo> {
    return this.#ready;
  }

  get pid(): number {
    return this.info?.pid ?? this.process.pid ?? -1;
  }

  get exited(): boolean {
    return this.#exited;
  }

  /** Call a handler in the child; rejects on error, exit, or after timeoutMs. */
  call<T>(cmd: string, args: unknown = {}, timeoutMs = 60_000): Promise<T> {
    if (this.#exited) return Promise.reject(new Error(`${this.name} has exited${this.tail()}`));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.name}: ${cmd} did not answer within ${timeoutMs} ms${this.tail()}`));
      }, timeoutMs);
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.process.send({ id, cmd, args } satisfies RpcRequest);
    });
  }

  /** Ask the child to stop; SIGKILL after graceMs. Resolves when it has exited. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    this.call('stop', {}, graceMs).catch(() => undefined);
    const timer = setTimeout(() => this.kill(), graceMs);
    await exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.#exited) this.process.kill('SIGKILL');
  }

  tail(): string {
    const text = this.#stderrTail.join('').trim();
    return text ? `\n--- ${this.name} output (tail) ---\n${text.split('\n').slice(-25).join('\n')}` : '';
  }
}
