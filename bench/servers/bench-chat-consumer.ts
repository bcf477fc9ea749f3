/**
 * The chat protocol of the demo, as a user would write it with Switchyard:
 * join the room's group on connect, groupSend each `{"message"}` to it, and
 * forward every `chat.message` event to the client.
 */
import type { WebsocketScope } from '../../src/application';
import { JsonWebsocketConsumer } from '../../src/consumers/json-websocket-consumer';

type ChatEvents = { 'chat.message': { message: string } };

export class BenchChatConsumer extends JsonWebsocketConsumer<ChatEvents> {
  #group = '';

  override async connect(): Promise<void> {
    const route = (this.scope as WebsocketScope).urlRoute;
    const room = String(route?.kwargs.roomName ?? '');
    this.#group = `chat_${room}`;
    await this.groupAdd(this.#group);
    await this.accept();
  }

  override async receiveJson(content: unknown): Promise<void> {
    const message = (content as { message?: unknown } | null)?.message;
    if (typeof message !== 'string') return;
    await this.groupSend(this.#group, { type: 'chat.message', message });
  }

  async chatMessage(event: { type: 'chat.message'; message: string }): Promise<void> {
    await this.sendJson({ message: event.message });
  }
}
