/**
 * The load generator: a child process of the bench holding WebSocket clients.
 * The parent drives it step by step (connect, send phases, churn, close) so it
 * can read the servers' CPU time exactly around each send phase.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { announceReady, fdLimit, serveRpc } from '../lib/rpc';
import { DeliveryTracker, type DeliveryReport, type TrackedRoom } from './delivery-tracker';

/** A room to open: `clients` members, the first `senders` of which send. */
export interface RoomPlan {
  name: string;
  clients: number;
  senders: number;
}

export interface ConnectArgs {
  /** Base URLs of the server processes, e.g. `ws://127.0.0.1:4321`; clients are spread round-robin. */
  servers: string[];
  rooms: RoomPlan[];
  /** Handshakes in flight at once. */
  concurrency: number;
  /** Give up on a handshake after this long. */
  timeoutMs: number;
  /**
   * `tutorial` (default): `/ws/chat/<room>/`, frames `{"message": ...}`.
   * `phoenix`: `/socket/websocket?vsn=2.0.0`, each client joins `room:<room>`
   * and sends `new_msg` pushes `{message}`; broadcasts arrive as
   * `[null, null, topic, "new_msg", {"message": ...}]`.
   * `socketio`: Engine.IO 4 / Socket.IO 5 over a plain WebSocket (what
   * socket.io-client sends with `transports: ['websocket']`):
   * `/socket.io/?EIO=4&transport=websocket&room=<room>`, CONNECT to `/`,
   * events `42["message",{"message": ...}]`; pings answered.
   */
  protocol?: Protocol;
  /**
   * Source addresses to connect from, round-robin (e.g. 127.0.0.2, 127.0.0.3):
   * each one has its own ephemeral port range (net.ipv4.ip_local_port_range,
   * ~28,000 ports), so past that many connections to one server port the
   * load needs several. Default: the kernel's choice.
   */
  localAddresses?: string[];
}

export interface ConnectResult {
  connections: number;
  ms: number;
  perSec: number;
}

export interface SendArgs {
  /** Messages each sender sends (at most). */
  messagesPerSender: number;
  /** Throughput mode: messages per sender not yet delivered to every member. */
  window: number;
  /** Fixed-rate mode instead of a window: messages per second per sender. */
  ratePerSender?: number;
  /** Stop sending new messages after this long. */
  maxSeconds: number;
  /** After the last send, wait at most this long for outstanding deliveries. */
  drainSeconds: number;
}

export interface SendResult extends DeliveryReport {
  /** First send to last delivery. */
  phaseMs: number;
  deliveriesPerSec: number;
}

export interface ChurnArgs {
  servers: string[];
  rooms: number;
  concurrency: number;
  seconds: number;
  timeoutMs: number;
}

export interface ChurnResult {
  cycles: number;
  failures: number;
  ms: number;
  perSec: number;
  firstError?: string;
}

interface Client {
  ws: WebSocket;
  room: number;
  member: number;
  /** The Phoenix topic, when the protocol is phoenix. */
  topic?: string;
  /** Socket.IO framing. */
  socketIo?: boolean;
}

/** Hard bound on connections one load generator opens (BENCH_LOADGEN_MAX raises it for the c100k scenario). */
const MAX_CONNECTIONS = Number(process.env.BENCH_LOADGEN_MAX) || 12_000;
/** Hard bound on what one phase preallocates for checking. */
const MAX_TRACKER_BYTES = 256 * 1024 * 1024;

const clients: Client[] = [];
let rooms: TrackedRoom[] = [];
/** Global sender id -> client index. */
let senderClients: number[] = [];
let tracker: DeliveryTracker | null = null;
let phase = 0;

function roomUrl(base: string, room: string): string {
  return `${base}/ws/chat/${encodeURIComponent(room)}/`;
}

type Protocol = 'tutorial' | 'phoenix' | 'socketio';
let protocol: Protocol = 'tutorial';

/** `42["message",` … `]`: a Socket.IO event frame around the tutorial protocol's JSON. */
const SIO_EVENT_PREFIX = Buffer.from('42["message",');
const SIO_PING = 0x32; // '2'

/** Engine.IO open, then the Socket.IO CONNECT to the main namespace, and wait for its ack (`40{...}`). */
function socketIoConnect(ws: WebSocket, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no Socket.IO CONNECT ack within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (data: Buffer): void => {
      const text = data.toString();
      if (text.startsWith('44')) {
        clearTimeout(timer);
        ws.removeListener('message', onMessage);
        reject(new Error(`Socket.IO connect refused: ${text}`));
        return;
      }
      if (!text.startsWith('40')) return;
      clearTimeout(timer);
      ws.removeListener('message', onMessage);
      resolve();
    };
    ws.on('message', onMessage);
    // Sent without waiting for the Engine.IO open packet (`0{...}`): it may have
    // arrived with the 101 response, before this listener existed.
    ws.send('40');
  });
}

/** Join `topic` on a Phoenix socket and wait for the ok reply. */
function phoenixJoin(ws: WebSocket, topic: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no join reply for ${topic} within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (data: Buffer): void => {
      const [, ref, , event, payload] = JSON.parse(data.toString()) as [unknown, unknown, unknown, string, { status?: string }];
      if (ref !== 'join' || event !== 'phx_reply') return;
      clearTimeout(timer);
      ws.removeListener('message', onMessage);
      if (payload?.status === 'ok') resolve();
      else reject(new Error(`join of ${topic} refused: ${JSON.stringify(payload)}`));
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify(['join', 'join', topic, 'phx_join', {}]));
  });
}

function open(url: string, timeoutMs: number, localAddress?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs, skipUTF8Validation: true, ...(localAddress ? { localAddress } : {}) });
    const onError = (error: Error) => {
      ws.removeListener('open', onOpen);
      ws.terminate();
      reject(error);
    };
    const onOpen = () => {
      ws.removeListener('error', onError);
      resolve(ws);
    };
    ws.once('open', onOpen);
    ws.once('error', onError);
    ws.once('unexpected-response', (_req, res) => onError(new Error(`handshake refused: HTTP ${res.statusCode} for ${url}`)));
  });
}

async function connect(args: ConnectArgs): Promise<ConnectResult> {
  const total = args.rooms.reduce((n, r) => n + r.clients, 0);
  if (clients.length + total > MAX_CONNECTIONS) throw new Error(`refusing to open ${total} connections: the bench caps one load generator at ${MAX_CONNECTIONS}`);
  if (clients.length > 0) throw new Error('connect called twice without closeAll');
  protocol = args.protocol ?? 'tutorial';
  const plan: Array<{ url: string; room: number; member: number; topic?: string; socketIo?: boolean }> = [];
  rooms = [];
  senderClients = [];
  let n = 0;
  args.rooms.forEach((room, r) => {
    const senderIds: number[] = [];
    for (let m = 0; m < room.clients; m++) {
      if (m < room.senders) {
        senderIds.push(senderClients.length);
        senderClients.push(plan.length);
      }
      const base = args.servers[n++ % args.servers.length]!;
      if (protocol === 'phoenix') plan.push({ url: `${base}/socket/websocket?vsn=2.0.0`, room: r, member: m, topic: `room:${room.name}` });
      else if (protocol === 'socketio')
        plan.push({ url: `${base}/socket.io/?EIO=4&transport=websocket&room=${encodeURIComponent(room.name)}`, room: r, member: m, socketIo: true });
      else plan.push({ url: roomUrl(base, room.name), room: r, member: m });
    }
    rooms.push({ size: room.clients, senders: room.senders, senderIds });
  });
  const started = performance.now();
  const opened: Array<Client | undefined> = new Array(plan.length);
  let next = 0;
  let firstError: Error | null = null;
  const worker = async () => {
    while (next < plan.length && !firstError) {
      const i = next++;
      const p = plan[i]!;
      try {
        const ws = await open(p.url, args.timeoutMs, args.localAddresses?.[i % args.localAddresses.length]);
        if (p.topic !== undefined) await phoenixJoin(ws, p.topic, args.timeoutMs);
        if (p.socketIo) await socketIoConnect(ws, args.timeoutMs);
        opened[i] = { ws, room: p.room, member: p.member, ...(p.topic !== undefined ? { topic: p.topic } : {}), ...(p.socketIo ? { socketIo: true } : {}) };
      } catch (error) {
        firstError ??= error as Error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.concurrency, plan.length) }, worker));
  const ms = performance.now() - started;
  for (const c of opened) if (c) clients.push(c);
  for (const c of clients) attach(c);
  if (firstError) {
    await closeAll({ timeoutMs: 5000 });
    throw new Error(`opened ${opened.filter(Boolean).length} of ${plan.length} connections; first failure: ${(firstError as Error).message}`);
  }
  return { connections: clients.length, ms, perSec: (clients.length / ms) * 1000 };
}

function attach(client: Client): void {
  const { room, member } = client;
  if (client.socketIo) {
    // Answered even between phases: Engine.IO closes a client that misses a ping (25 s + 20 s).
    client.ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (data.length === 1 && data[0] === SIO_PING) {
        client.ws.send('3');
        return;
      }
      const t = tracker;
      if (!t) return;
      if (isBinary || data.length <= SIO_EVENT_PREFIX.length || data.compare(SIO_EVENT_PREFIX, 0, SIO_EVENT_PREFIX.length, 0, SIO_EVENT_PREFIX.length) !== 0) {
        t.unexpected++;
        return;
      }
      t.receiveBytes(room, member, data.subarray(SIO_EVENT_PREFIX.length, data.length - 1), performance.now());
    });
    client.ws.on('error', () => undefined);
    return;
  }
  client.ws.on('message', (data: Buffer, isBinary: boolean) => {
    const t = tracker;
    if (!t) return;
    if (isBinary) {
      t.unexpected++;
      return;
    }
    t.receiveBytes(room, member, data, performance.now());
  });
  client.ws.on('error', () => undefined);
}

function send(args: SendArgs): Promise<SendResult> {
  const senderCount = senderClients.length;
  if (senderCount === 0) throw new Error('no senders: connect first');
  const expectedDeliveries = rooms.reduce((n, r) => n + r.size * r.senders, 0) * args.messagesPerSender;
  const latencyCapacity = Math.min(expectedDeliveries, 4_000_000);
  const bytes = DeliveryTracker.footprint(rooms, senderCount, args.messagesPerSender, latencyCapacity);
  if (bytes > MAX_TRACKER_BYTES) throw new Error(`phase too large to check (${Math.round(bytes / 2 ** 20)} MiB): fewer messages or members`);
  const t = new DeliveryTracker(++phase, rooms, senderCount, args.messagesPerSender, latencyCapacity);
  tracker = t;
  const seq = new Int32Array(senderCount);
  const inflight = new Int32Array(senderCount);
  let firstSend = 0;
  const started = performance.now();
  const sendUntil = started + args.maxSeconds * 1000;

  return new Promise<SendResult>((resolve) => {
    let finished = false;
    let drainTimer: NodeJS.Timeout | null = null;
    const timers: NodeJS.Timeout[] = [];
    const sendOne = (s: number, now: number) => {
      const n = seq[s]!;
      seq[s] = n + 1;
      inflight[s]!++;
      t.sent(s, n);
      if (firstSend === 0) firstSend = now;
      const client = clients[senderClients[s]!]!;
      const message = `{"message":"${t.phase}:${s}:${n}:${now.toFixed(3)}"}`;
      // A Phoenix push without a ref: the server sends no reply, only the broadcast.
      client.ws.send(client.socketIo ? `42["message",${message}]` : client.topic === undefined ? message : `["join",null,"${client.topic}","new_msg",${message}]`);
    };
    const doneSending = () => {
      const now = performance.now();
      if (now >= sendUntil) return true;
      for (let s = 0; s < senderCount; s++) if (seq[s]! < args.messagesPerSender) return false;
      return true;
    };
    const finish = () => {
      if (finished) return;
      finished = true;
      for (const timer of timers) clearInterval(timer);
      if (drainTimer) clearTimeout(drainTimer);
      tracker = null;
      const report = t.report();
      const end = t.lastDeliveryAt || performance.now();
      const phaseMs = firstSend ? end - firstSend : 0;
      resolve({ ...report, phaseMs, deliveriesPerSec: phaseMs > 0 ? (report.delivered / phaseMs) * 1000 : 0 });
    };
    const maybeFinish = () => {
      if (!doneSending()) return;
      if (t.completed === t.sentTotal()) return finish();
      drainTimer ??= setTimeout(finish, args.drainSeconds * 1000);
    };
    if (args.ratePerSender) {
      const interval = 1000 / args.ratePerSender;
      t.onComplete = () => {
        if (t.completed === t.sentTotal()) maybeFinish();
      };
      for (let s = 0; s < senderCount; s++) {
        // Stagger the senders over one interval so the load is even.
        const kick = setTimeout(() => {
          const timer = setInterval(() => {
            if (seq[s]! >= args.messagesPerSender || performance.now() >= sendUntil) {
              clearInterval(timer);
              maybeFinish();
              return;
            }
            sendOne(s, performance.now());
          }, interval);
          timers.push(timer);
        }, (interval * s) / senderCount);
        timers.push(kick);
      }
    } else {
      const pump = (s: number) => {
        const now = performance.now();
        while (inflight[s]! < args.window && seq[s]! < args.messagesPerSender && now < sendUntil) sendOne(s, now);
      };
      t.onComplete = (s) => {
        inflight[s]!--;
        pump(s);
        if (t.completed === t.sentTotal()) maybeFinish();
      };
      for (let s = 0; s < senderCount; s++) pump(s);
      // Ends sending at the time cap even if no completion fires.
      timers.push(setTimeout(maybeFinish, args.maxSeconds * 1000 + 1));
    }
    // Absolute bound on the phase whatever happens.
    timers.push(setTimeout(finish, (args.maxSeconds + args.drainSeconds) * 1000 + 1000));
  });
}

async function churn(args: ChurnArgs): Promise<ChurnResult> {
  let cycles = 0;
  let failures = 0;
  let firstError: string | undefined;
  let k = 0;
  const started = performance.now();
  const until = started + args.seconds * 1000;
  const loop = async () => {
    while (performance.now() < until) {
      const i = k++;
      const url = roomUrl(args.servers[i % args.servers.length]!, `churn-${i % args.rooms}`);
      try {
        const ws = await open(url, args.timeoutMs);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            ws.terminate();
          }, args.timeoutMs);
          ws.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          ws.on('error', () => undefined);
          ws.close(1000);
        });
        cycles++;
      } catch (error) {
        failures++;
        firstError ??= (error as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: args.concurrency }, loop));
  const ms = performance.now() - started;
  return { cycles, failures, ms, perSec: (cycles / ms) * 1000, ...(firstError ? { firstError } : {}) };
}

async function closeAll(args: { timeoutMs: number }): Promise<{ closed: number }> {
  tracker = null;
  const all = clients.splice(0);
  await Promise.all(
    all.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.ws.readyState === WebSocket.CLOSED) return resolve();
          const timer = setTimeout(() => {
            c.ws.terminate();
            resolve();
          }, args.timeoutMs);
          c.ws.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          c.ws.close(1000);
        }),
    ),
  );
  rooms = [];
  senderClients = [];
  return { closed: all.length };
}

serveRpc({
  connect,
  send,
  churn,
  closeAll,
  stop: async () => {
    setImmediate(() => {
      for (const c of clients) c.ws.terminate();
      process.exit(0);
    });
    return true;
  },
});
announceReady({ pid: process.pid, fdLimit: fdLimit() });
