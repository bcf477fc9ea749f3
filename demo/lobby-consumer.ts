/**
 * The front page's live room list (`/ws/lobby/`): the rooms with people in
 * them and their member counts, on every process, pushed on each change.
 * The client sends nothing.
 */
import { JsonWebsocketConsumer } from 'switchyard-channels';
import type { PresenceFeed } from './presence-feed';
import type { RoomsFrame } from './protocol';

/** Sends a `rooms` frame on connect and whenever the counts change. Give it `feed` through `asApp()`. */
export class LobbyConsumer extends JsonWebsocketConsumer {
  feed!: PresenceFeed;
  #unsubscribe: (() => void) | null = null;

  override async connect(): Promise<void> {
    await this.accept();
    const frame: RoomsFrame = { type: 'rooms', rooms: this.feed.rooms() };
    void this.sendJson(frame);
    this.#unsubscribe = this.feed.subscribeLobby((rooms) => {
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
