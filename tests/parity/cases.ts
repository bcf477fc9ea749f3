/**
 * The shared table: each case builds a fresh application and a script over
 * a Driver; the parity suite runs every case through a communicator and
 * through a real server and expects the same observations from both.
 */
import type { Application } from '../../src/application';
import { JsonWebsocketConsumer } from '../../src/consumers/json-websocket-consumer';
import { WebsocketConsumer } from '../../src/consumers/websocket-consumer';
import { getChannelLayer } from '../../src/layers/registry';
import { RateLimitMiddleware } from '../../src/middleware/rate-limit';
import type { Driver, Log, Observed } from './drivers';

export interface ParityCase {
  name: string;
  app(log: Log): Application;
  /** Runs the script; returns what the clients observed (the log is compared too). */
  run(driver: Driver, log: Log): Promise<unknown[]>;
  /** The observations both paths must produce. */
  expected: unknown[];
  /** The log both paths must leave (in order). */
  expectedLog: string[];
}

function wrapReceive(inner: Application): Application {
  // A middleware that wraps receive: the consumer must pull (through its ReceivePump) on both paths.
  return (scope, receive, send) => inner(scope, () => receive(), send);
}

export const CASES: ParityCase[] = [
  {
    name: 'echoes text and binary frames in order, and runs disconnect with the client code',
    app(log) {
      class Echo extends WebsocketConsumer {
        override async receive(text?: string, bytes?: Uint8Array) {
          await this.send(text ?? bytes!);
        }
        override async disconnect(code: number) {
          log.add(`disconnect ${code}`);
        }
      }
      return Echo.asApp();
    },
    async run(driver, log) {
      const { handshake, connection } = await driver.connect('/echo/');
      const seen: unknown[] = [handshake];
      await connection!.send('one');
      await connection!.sendBytes(new Uint8Array([1, 2, 3]));
      await connection!.send('two');
      for (let i = 0; i < 3; i++) seen.push(await connection!.next());
      await connection!.disconnect(4100);
      await log.until('disconnect 4100');
      return seen;
    },
    expected: [{ connected: true, subprotocol: null }, { text: 'one' }, { bytes: '010203' }, { text: 'two' }],
    expectedLog: ['disconnect 4100'],
  },
  {
    name: 'accepts the subprotocol it picks from the offer',
    app() {
      class Picky extends WebsocketConsumer {
        override async connect() {
          await this.accept(this.scope.subprotocols.includes('v2') ? 'v2' : null);
        }
        override async receive(text?: string) {
          await this.send(`${text}:${this.scope.subprotocols.join(',')}`);
        }
      }
      return Picky.asApp();
    },
    async run(driver) {
      const { handshake, connection } = await driver.connect('/picky/', ['v1', 'v2']);
      await connection!.send('hi');
      const frame = await connection!.next();
      await connection!.disconnect(1000);
      return [handshake, frame];
    },
    expected: [{ connected: true, subprotocol: 'v2' }, { text: 'hi:v1,v2' }],
    expectedLog: [],
  },
  {
    name: 'refuses the handshake with the status of deny()',
    app(log) {
      class Door extends WebsocketConsumer {
        override async connect() {
          log.add('connect');
          this.deny(401, 'who are you');
        }
        override async disconnect(code: number) {
          log.add(`disconnect ${code}`);
        }
      }
      return Door.asApp();
    },
    async run(driver, log) {
      const { handshake } = await driver.connect('/door/');
      await log.until('disconnect 1006');
      return [handshake];
    },
    expected: [{ connected: false, status: 401 }],
    expectedLog: ['connect', 'disconnect 1006'],
  },
  {
    name: 'close(code) from a handler reaches the client and runs disconnect(code) once',
    app(log) {
      class Closer extends WebsocketConsumer {
        override async receive(text?: string) {
          await this.send(`bye ${text}`);
          await this.close(4001, 'done');
          log.add('after close');
        }
        override async disconnect(code: number) {
          log.add(`disconnect ${code}`);
        }
      }
      return Closer.asApp();
    },
    async run(driver, log) {
      const { connection } = await driver.connect('/closer/');
      await connection!.send('x');
      const seen = [await connection!.next(), await connection!.next()];
      await log.until('disconnect 4001');
      return seen;
    },
    expected: [{ text: 'bye x' }, { close: 4001, reason: 'done' }],
    expectedLog: ['after close', 'disconnect 4001'],
  },
  {
    name: 'a handler error after accept closes with 1011; a catalogue error with its own code',
    app(log) {
      class Fragile extends JsonWebsocketConsumer {
        static override invalidJson = 'close' as const;
        override async receiveJson(content: { fail?: boolean }) {
          if (content.fail) throw new Error('boom');
          await this.sendJson({ ok: true });
        }
        override async disconnect(code: number) {
          log.add(`disconnect ${code}`);
        }
      }
      return Fragile.asApp();
    },
    async run(driver, log) {
      const a = (await driver.connect('/fragile/')).connection!;
      await a.send('{"fail":false}');
      const seen: unknown[] = [await a.next()];
      await a.send('{"fail":true}');
      seen.push(await a.next());
      await log.until('disconnect 1011');
      const b = (await driver.connect('/fragile/')).connection!;
      await b.send('not json');
      seen.push(await b.next());
      await log.until('disconnect 4400');
      return seen;
    },
    expected: [{ ok: true }, { close: 1011, reason: '' }, { close: 4400, reason: 'ERR_INVALID_JSON' }].map((o) =>
      'ok' in o ? { text: JSON.stringify(o) } : o,
    ),
    expectedLog: ['disconnect 1011', 'disconnect 4400'],
  },
  {
    name: 'client frames and group messages are handled one at a time in arrival order',
    app(log) {
      class Room extends WebsocketConsumer {
        static override groups = ['parity.order'];
        override async receive(text?: string) {
          log.add(`frame ${text}`);
          if (text === 'hold') {
            // While this handler waits, a group message and a frame arrive: they queue behind it.
            await this.groupSend('parity.order', { type: 'room.message', text: 'from group' });
            log.add('group sent');
            await log.until('open');
          }
          await this.send(`frame:${text}`);
        }
        async roomMessage(event: { text: string }) {
          log.add(`group ${event.text}`);
          await this.send(`group:${event.text}`);
        }
      }
      return Room.asApp();
    },
    async run(driver, log) {
      const { connection } = await driver.connect('/room/');
      await connection!.send('hold');
      await log.until('group sent');
      await connection!.send('after');
      log.add('open');
      const seen: Observed[] = [];
      for (let i = 0; i < 3; i++) seen.push(await connection!.next());
      await connection!.disconnect(1000);
      return seen;
    },
    expected: [{ text: 'frame:hold' }, { text: 'group:from group' }, { text: 'frame:after' }],
    expectedLog: ['frame hold', 'group sent', 'open', 'group from group', 'frame after'],
  },
  {
    name: 'a disconnect is not starved by a busy handler: it runs at once, the backlog is dropped',
    app(log) {
      class Busy extends WebsocketConsumer {
        override async receive(text?: string) {
          log.add(`frame ${text}`);
          if (text === 'slow') await log.until('disconnect 4200');
        }
        override async disconnect(code: number) {
          log.add(`disconnect ${code}`);
        }
      }
      return Busy.asApp();
    },
    async run(driver, log) {
      const { connection } = await driver.connect('/busy/');
      await connection!.send('slow');
      await log.until('frame slow');
      await connection!.send('queued');
      await connection!.disconnect(4200);
      await log.until('disconnect 4200');
      return [];
    },
    expected: [],
    expectedLog: ['frame slow', 'disconnect 4200'],
  },
  {
    name: 'a group message reaches every member exactly once',
    app(log) {
      class Member extends JsonWebsocketConsumer {
        override async connect() {
          await this.groupAdd('parity.fanout');
          await this.accept();
          await this.sendJson({ me: 'ready' });
        }
        override async receiveJson(content: { say: string }) {
          await this.groupSend('parity.fanout', { type: 'chat.message', text: content.say });
        }
        async chatMessage(event: { text: string }) {
          await this.sendJson({ got: event.text });
        }
        override async disconnect() {
          log.add('left');
        }
      }
      return Member.asApp();
    },
    async run(driver, log) {
      const a = (await driver.connect('/m/')).connection!;
      const b = (await driver.connect('/m/')).connection!;
      const seen: unknown[] = [await a.next(), await b.next()];
      await a.send('{"say":"hello"}');
      seen.push(await a.next(), await b.next());
      await b.send('{"say":"back"}');
      seen.push(await a.next(), await b.next());
      await a.disconnect(1000);
      await b.disconnect(1000);
      await log.until('left');
      const members = await getChannelLayer()!.groupMembers('parity.fanout');
      seen.push({ membersLeft: members.length });
      return seen;
    },
    expected: [
      { text: '{"me":"ready"}' },
      { text: '{"me":"ready"}' },
      { text: '{"got":"hello"}' },
      { text: '{"got":"hello"}' },
      { text: '{"got":"back"}' },
      { text: '{"got":"back"}' },
      { membersLeft: 0 },
    ],
    expectedLog: ['left', 'left'],
  },
  {
    name: 'behind a middleware that wraps receive (the consumer pulls), order and disconnect hold',
    app(log) {
      class Pulled extends WebsocketConsumer {
        override async receive(text?: string) {
          await this.send(`pulled:${text}`);
        }
        override async disconnect(code: number) {
          log.add(`disconnect ${code}`);
        }
      }
      return wrapReceive(Pulled.asApp());
    },
    async run(driver, log) {
      const { connection } = await driver.connect('/pulled/');
      for (const text of ['a', 'b', 'c']) await connection!.send(text);
      const seen = [await connection!.next(), await connection!.next(), await connection!.next()];
      await connection!.disconnect(4300);
      await log.until('disconnect 4300');
      return seen;
    },
    expected: [{ text: 'pulled:a' }, { text: 'pulled:b' }, { text: 'pulled:c' }],
    expectedLog: ['disconnect 4300'],
  },
  {
    name: 'RateLimitMiddleware closes a flooding client with 1008 and the consumer hears the disconnect',
    app(log) {
      class Limited extends WebsocketConsumer {
        override async receive(text?: string) {
          await this.send(`ok:${text}`);
        }
        override async disconnect(code: number) {
          log.add(`disconnect ${code}`);
        }
      }
      return RateLimitMiddleware(Limited.asApp(), { messagesPerSecond: 0.001, burst: 1 });
    },
    async run(driver, log) {
      const { connection } = await driver.connect('/limited/');
      await connection!.send('1');
      const seen = [await connection!.next()];
      await connection!.send('2');
      seen.push(await connection!.next());
      await log.until('disconnect 1008');
      return seen;
    },
    expected: [{ text: 'ok:1' }, { close: 1008, reason: 'rate limit exceeded' }],
    expectedLog: ['disconnect 1008'],
  },
];
