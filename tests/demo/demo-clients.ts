/**
 * Websocket clients for the demo's protocol tests: join a room as a named
 * visitor, and wait for the next frame that matches, skipping the others
 * (presence frames interleave with chat frames), within a bound.
 */
import { connectClient, type TestClient } from '../helpers';
import { scaled } from '../setup/calibrate';

/** Any frame the demo sends, parsed. */
export type Frame = Record<string, unknown> & { type?: string };

/** `http://127.0.0.1:1234` -> `ws://127.0.0.1:1234`. */
export function wsBase(httpUrl: string): string {
  return httpUrl.replace(/^http/, 'ws');
}

/** Connect to `/ws/chat/<room>/` as `name`, with presence frames unless `events: false`. */
export function joinRoom(baseUrl: string, room: string, name?: string, options: { events?: boolean } = {}): Promise<TestClient> {
  const query = new URLSearchParams();
  if (name !== undefined) query.set('name', name);
  if (options.events !== false) query.set('events', '1');
  return connectClient(`${wsBase(baseUrl)}/ws/chat/${room}/?${query}`, { headers: { Origin: baseUrl } });
}

/** The next frame for which `match` is true; frames before it are dropped. Fails after `ms` or on close. */
export async function nextFrame(client: TestClient, match: (frame: Frame) => boolean, what: string, bound = 5000): Promise<Frame> {
  const ms = scaled(bound);
  const deadline = Date.now() + ms;
  const seen: Frame[] = [];
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no frame ${what} within ${ms} ms; skipped ${JSON.stringify(seen)}`);
    let frame: Frame;
    try {
      frame = await client.nextJson<Frame>(left);
    } catch (error) {
      throw new Error(`no frame ${what}: ${(error as Error).message}; skipped ${JSON.stringify(seen)}`);
    }
    if (match(frame)) return frame;
    seen.push(frame);
  }
}

/** The next chat frame (one with a `message`). */
export function nextChat(client: TestClient, ms?: number): Promise<Frame> {
  return nextFrame(client, (f) => typeof f.message === 'string', 'with a message', ms);
}

/** The next frame of `type`. */
export function nextOfType(client: TestClient, type: string, ms?: number): Promise<Frame> {
  return nextFrame(client, (f) => f.type === type, `of type ${type}`, ms);
}
