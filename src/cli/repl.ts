/**
 * The interactive shell: a Node REPL with the channel layer and helpers in
 * scope. Top-level `await` works (Node's REPL supports it). When input is
 * not a terminal (a pipe, a test), lines are fed one at a time and each
 * waits for the previous one, awaits included, so scripts behave as typed.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type * as readline from 'node:readline';
import type * as repl from 'node:repl';
import { PassThrough } from 'node:stream';
import { inspect } from 'node:util';
import { ReceiveAborted, ReceiveTimeout } from '../errors';
import type { ChannelLayer, LayerMessage, MessageValue } from '../layers/channel-layer';
import { broadcast } from '../phoenix/broadcast';
import type { PresenceTracker } from '../presence/presence-tracker';

/** Options of startShell. */
export interface ShellOptions {
  /** The layer the helpers use, also in scope as `layer`. */
  layer: ChannelLayer;
  /** Default `process.stdin`. */
  input?: NodeJS.ReadableStream;
  /** Default `process.stdout`. */
  output?: NodeJS.WritableStream;
  /** Default `switchyard> `. */
  prompt?: string;
  /** Extra names in scope (e.g. the loaded module's exports). */
  context?: Record<string, unknown>;
  /** Adds `who(group)`: the tracker's members of a group. */
  presence?: PresenceTracker;
  /** History file, or false for none. Default `defaultHistoryPath(process.env)`. Terminal sessions only. */
  history?: string | false;
  /** Line editing and colours. Default: true when both input and output are terminals. */
  terminal?: boolean;
  /** Default timeout of `receive(channel)`, in milliseconds. Default 5000. */
  receiveTimeoutMs?: number;
}

/** A running shell. */
export interface Shell {
  /** The underlying REPL server. */
  readonly server: repl.REPLServer;
  /** Resolves when the shell ends (`.exit`, end of input, `close()`). */
  readonly closed: Promise<void>;
  /** End the shell. */
  close(): void;
}

/**
 * The history file: SWITCHYARD_HISTORY if set (empty disables it), else
 * `~/.switchyard_history`, or false when there is no home directory.
 */
export function defaultHistoryPath(env: NodeJS.ProcessEnv): string | false {
  const explicit = env.SWITCHYARD_HISTORY;
  if (explicit !== undefined) return explicit.trim() === '' ? false : explicit;
  const home = env.HOME ?? env.USERPROFILE;
  return home ? path.join(home, '.switchyard_history') : false;
}

/** Printed as is by the REPL (no quotes, real newlines). */
function verbatim(text: string): object {
  return { [inspect.custom]: () => text };
}

const HELP = `Helpers (all return promises: use await):
  groupSend(group, message)    send to every member of a group, e.g.
                               await groupSend('chat_lobby', { type: 'chat.message', message: 'hi' })
  broadcast(topic, event, payload)
                               a Phoenix broadcast to every socket joined to topic, e.g.
                               await broadcast('room:lobby', 'new_msg', { body: 'hi', name: 'shell' })
  send(channel, message)       send to one channel
  newChannel(prefix?)          a fresh process-local channel name
  receive(channel, timeoutMs?) next message on a channel (default timeout %TIMEOUT% ms)
  members(group)               channel names in a group
%WHO%  layer                        the channel layer itself
  help()                       this text
Type .exit or press Ctrl+D to leave.`;

/**
 * Objects typed at the REPL belong to its own realm (their prototype is the
 * REPL context's Object.prototype, their Uint8Array another Uint8Array),
 * which the layer's plain-data check refuses. Plain objects, arrays and
 * byte arrays are rebuilt in this realm; anything else goes through as
 * typed, so the layer names the problem.
 */
function ownRealm(value: unknown, depth = 0): any {
  if (value === null || typeof value !== 'object' || depth > 64) return value;
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return value.map((item) => ownRealm(item, depth + 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== null && Object.getPrototypeOf(proto) !== null) return value; // a class instance
  if (proto !== null && proto.constructor?.name !== 'Object') return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) copy[key] = ownRealm((value as Record<string, unknown>)[key], depth + 1);
  return copy;
}

/** Helpers the shell puts in scope, bound to `layer`. */
export function shellHelpers(layer: ChannelLayer, receiveTimeoutMs = 5000, presence?: PresenceTracker): Record<string, unknown> {
  const helpers: Record<string, unknown> = {
    layer,
    groupSend: (group: string, message: LayerMessage) => layer.groupSend(group, ownRealm(message)),
    send: (channel: string, message: LayerMessage) => layer.send(channel, ownRealm(message)),
    broadcast: (topic: string, event: string, payload: MessageValue = {}) => broadcast(topic, event, ownRealm(payload), { layer }),
    newChannel: (prefix?: string) => layer.newChannel(prefix),
    members: (group: string) => layer.groupMembers(group),
    receive: async (channel: string, timeoutMs = receiveTimeoutMs) => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      try {
        return await layer.receive(channel, { signal: controller.signal });
      } catch (error) {
        if (error instanceof ReceiveAborted && controller.signal.aborted) throw new ReceiveTimeout(channel, timeoutMs);
        throw error;
      } finally {
        clearTimeout(timer);
      }
    },
    help: () =>
      verbatim(
        HELP.replace('%TIMEOUT%', String(receiveTimeoutMs)).replace(
          '%WHO%',
          presence ? '  who(group)                   members present in a group (presence tracker)\n' : '',
        ),
      ),
  };
  if (presence) helpers.who = (group: string) => presence.list(group);
  return helpers;
}

/**
 * Start a REPL with the layer and helpers in scope. The demo calls it
 * in-process (`npm run demo -- --repl`); `switchyard shell` wraps it.
 *
 * @example
 * const shell = startShell({ layer: getChannelLayer()! });
 * await shell.closed;
 * // switchyard> await groupSend('chat_lobby', { type: 'chat.message', message: 'hello from the shell' })
 */
export function startShell(options: ShellOptions): Shell {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const terminal = options.terminal ?? Boolean((input as { isTTY?: boolean }).isTTY && (output as { isTTY?: boolean }).isTTY);
  // Not a terminal: the REPL reads a private stream we feed line by line.
  const replInput = terminal ? input : new PassThrough();
  // node:repl and node:readline load with the first shell: the package barrel exports startShell.
  const server = (require('node:repl') as typeof repl).start({
    input: replInput,
    output,
    prompt: options.prompt ?? 'switchyard> ',
    terminal,
    useGlobal: false,
    ignoreUndefined: true,
    preview: terminal,
  });
  Object.assign(server.context, shellHelpers(options.layer, options.receiveTimeoutMs, options.presence), options.context ?? {});

  const closed = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const history = options.history ?? defaultHistoryPath(process.env);
  if (terminal && history !== false) {
    server.setupHistory(history, (error) => {
      if (error) output.write(`(history disabled: ${error.message})\n`);
    });
  }
  if (!terminal) feedLines(input, replInput as PassThrough, server, closed);
  return { server, closed, close: () => server.close() };
}

/** Feed `source` to the REPL one line at a time, each after the previous one's prompt. */
function feedLines(source: NodeJS.ReadableStream, sink: PassThrough, server: repl.REPLServer, closed: Promise<void>): void {
  let ready: () => void = () => undefined;
  const displayPrompt = server.displayPrompt;
  // The REPL shows a prompt once a line is fully handled (awaits included).
  server.displayPrompt = function (this: repl.REPLServer, ...args: Parameters<typeof displayPrompt>) {
    displayPrompt.apply(this, args);
    ready();
  };
  let open = true;
  void closed.then(() => {
    open = false;
    ready();
  });
  const lines = (require('node:readline') as typeof readline).createInterface({ input: source, crlfDelay: Infinity, terminal: false });
  void (async () => {
    try {
      for await (const line of lines) {
        if (!open) break;
        const handled = new Promise<void>((resolve) => (ready = resolve));
        sink.write(`${line}\n`);
        await handled;
      }
    } finally {
      lines.close();
      if (open) sink.end();
    }
  })().catch(() => undefined);
}

/** The user's home-relative display of a path, for messages. */
export function displayPath(file: string): string {
  const home = os.homedir();
  return home && file.startsWith(home + path.sep) ? `~${file.slice(home.length)}` : file;
}
