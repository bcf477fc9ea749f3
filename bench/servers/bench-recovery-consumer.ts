/**
 * The chat protocol with recovery, for the bench's recovery scenario: join
 * the room with `?since_offset&since_epoch` (replaying what was missed), say
 * how the join went in a first frame, and forward each message with its
 * position.
 */
import type { WebsocketScope } from '../../src/application';
import { sinceFromQuery } from '../../src/consumers/history-since';
import { JsonWebsocketConsumer } from '../../src/consumers/json-websocket-consumer';

type ChatEvents = { 'chat.message': { message: string; __offset__?: number; __epoch__?: string } };

export class BenchRecoveryConsumer extends JsonWebsocketConsumer<ChatEvents> {
  #group = '';

  override async connect(): Promise<void> {
    const route = (this.scope as WebsocketScope).urlRoute;
    this.#group = `recover_${String(route?.kwargs.roomName ?? '')}`;
    const join = await this.groupAdd(this.#group, { since: sinceFromQuery(this.scope) });
    await this.accept();
    await this.sendJson({ type: 'joined', recovered: join.recovered, offset: join.offset, epoch: join.epoch, replayed: join.replayed });
  }

  override async receiveJson(content: unknown): Promise<void> {
    const message = (content as { message?: unknown } | null)?.message;
    if (typeof message !== 'string') return;
    await this.groupSend(this.#group, { type: 'chat.message', message });
  }

  async chatMessage(event: { type: 'chat.message'; message: string; __offset__?: number; __epoch__?: string }): Promise<void> {
    await this.sendJson({ message: event.message, offset: event.__offset__, epoch: event.__epoch__ });
  }
}
