import { JsonWebsocketConsumer, routeKwargs } from 'switchyard-channels';

/** The events this consumer sends to its group and handles: type -> payload. */
type ChatEvents = { 'chat.message': { message: string } };

/** One browser tab in a chat room: what one tab says, every tab in the room sees. */
export class ChatConsumer extends JsonWebsocketConsumer<ChatEvents> {
  #group = '';

  override async connect(): Promise<void> {
    const { room } = routeKwargs<'ws/chat/<slug:room>/'>(this.scope);
    this.#group = `chat_${room}`;
    await this.groupAdd(this.#group);
    await this.accept();
  }

  override async receiveJson(content: { message?: unknown }): Promise<void> {
    await this.groupSend(this.#group, { type: 'chat.message', message: String(content.message ?? '') });
  }

  /** Runs for every `chat.message` sent to a group this consumer joined. */
  async chatMessage(event: { message: string }): Promise<void> {
    await this.sendJson({ message: event.message });
  }
}
