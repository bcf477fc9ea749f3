/**
 * Tiny applications written directly against the event contract, for
 * server tests that must not depend on the consumer classes.
 */
import type { Application, Event, Receive, Scope, Send } from '../../src/application';
import { deferred, type Deferred } from './deadline';

/** Accepts, then echoes every text and binary message until the client leaves. */
export const echoApp: Application = async (_scope, receive, send) => {
  const connect = await receive();
  if (connect.type !== 'websocket.connect') return;
  await send({ type: 'websocket.accept' });
  for (;;) {
    const event = await receive();
    if (event.type !== 'websocket.receive') return;
    if (event.text !== undefined) await send({ type: 'websocket.send', text: event.text });
    else await send({ type: 'websocket.send', bytes: event.bytes });
  }
};

/** What `recordingApp` lets a test observe. */
export interface Recorder {
  app: Application;
  /** Scopes the app was called with, in order. */
  scopes: Scope[];
  /** Every event the app received, in order. */
  events: Event[];
  /** Resolves with the first websocket.disconnect the app receives. */
  disconnected: Deferred<Event>;
  /** Resolves when the app has returned. */
  finished: Deferred<void>;
}

/**
 * An app that runs `onConnect(scope, send)` after websocket.connect (accept
 * by default), then records events until websocket.disconnect; `onMessage`
 * may answer each received event.
 */
export function recordingApp(
  options: {
    onConnect?: (scope: Scope, send: Send) => Promise<void>;
    onMessage?: (event: Event, send: Send, scope: Scope) => Promise<void>;
    onDisconnect?: (event: Event) => Promise<void>;
  } = {},
): Recorder {
  const recorder: Recorder = {
    app: null as unknown as Application,
    scopes: [],
    events: [],
    disconnected: deferred<Event>(),
    finished: deferred<void>(),
  };
  const onConnect = options.onConnect ?? ((_scope, send) => send({ type: 'websocket.accept' }));
  recorder.app = async (scope: Scope, receive: Receive, send: Send) => {
    recorder.scopes.push(scope);
    try {
      for (;;) {
        const event = await receive();
        recorder.events.push(event);
        if (event.type === 'websocket.connect') await onConnect(scope, send);
        else if (event.type === 'websocket.disconnect') {
          recorder.disconnected.resolve(event);
          if (options.onDisconnect) await options.onDisconnect(event);
          return;
        } else if (options.onMessage) await options.onMessage(event, send, scope);
      }
    } finally {
      recorder.finished.resolve();
    }
  };
  return recorder;
}
