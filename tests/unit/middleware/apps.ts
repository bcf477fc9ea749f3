/**
 * Tiny applications for middleware tests, written against the raw event
 * contract (no consumer classes).
 */
import type { Application, Scope } from '../../../src/application';

/**
 * Accepts, sends the scope (as `pick(scope)`) as one JSON frame, then echoes
 * text frames until disconnect. `seen` collects every scope it was called with.
 */
export function reporter(pick: (scope: Scope) => unknown, seen: Scope[] = []): Application {
  return async (scope, receive, send) => {
    seen.push(scope);
    await receive(); // websocket.connect
    await send({ type: 'websocket.accept' });
    await send({ type: 'websocket.send', text: JSON.stringify(pick(scope) ?? null) });
    for (;;) {
      const event = await receive();
      if (event.type === 'websocket.disconnect') return;
      if (typeof event.text === 'string') await send({ type: 'websocket.send', text: event.text });
    }
  };
}
