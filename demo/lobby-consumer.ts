/**
 * The front page's live room list (`/ws/lobby/`): the rooms with people in
 * them and their member counts, on every process. The whole list on
 * connect; then, with `?diff=1`, only the rooms whose count changed (at most
 * four frames a second), else the whole list again at most once a second.
 * The client sends nothing.
 */
import { JsonWebsocketConsumer } from 'switchyard-channels';
import type { LobbyDiff, PresenceFeed } from './presence-feed';
import type { RoomsDiffFrame, RoomsFrame } from './protocol';

// One diff goes to every viewer: encode it once, not once per viewer.
const encoded = new WeakMap<LobbyDiff, string>();

function diffText(diff: LobbyDiff): string {
  let text = encoded.get(diff);
  if (text === undefined) {
    text = JSON.stringify({ type: 'rooms.diff', changed: diff.changed } satisfies RoomsDiffFrame);
    encoded.set(diff, text);
  }
  return text;
}

/** Sends a `rooms` frame on connect, then changes. Give it `feed` through `asApp()`. */
export class LobbyConsumer extends JsonWebsocketConsumer {
  feed!: PresenceFeed;
  #unsubscribe: (() => void) | null = null;

  override async connect(): Promise<void> {
    await this.accept();
    const frame: RoomsFrame = { type: 'rooms', rooms: this.feed.rooms() };
    void this.sendJson(frame);
    const wantsDiffs = new URLSearchParams(this.scope.queryString ?? '').get('diff') === '1';
    this.#unsubscribe = wantsDiffs
      ? this.feed.subscribeLobbyChanges((diff) => {
          this.send(diffText(diff)).catch(() => undefined);
        })
      : this.feed.subscribeLobby((rooms) => {
          this.sendJson({ type: 'rooms', rooms } satisfies RoomsFrame).catch(() => undefined);
        });
  }

  override async disconnect(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
  }

  /** The lobby is read-only; whatever a client sends is ignored. */
  override async receiveJson(): Promise<void> {}
}
