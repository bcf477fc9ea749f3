import { JsonWebsocketConsumer, isAuthenticated, routeKwargs } from 'switchyard-channels';

/** Who is on the other end: a session's user or a token's claims, both carry a name. */
export interface ChatUser {
  name: string;
}

type ChatEvents = { 'chat.message': { message: string; author: string } };

function isChatUser(user: unknown): user is ChatUser {
  return isAuthenticated(user) && typeof (user as { name?: unknown }).name === 'string';
}

/** One signed-in visitor in a chat room; every line carries its author. */
export class ChatConsumer extends JsonWebsocketConsumer<ChatEvents> {
  #group = '';
  #author = '';

  override async connect(): Promise<void> {
    const user = this.scope.user;
    if (!isChatUser(user)) return this.deny(401, 'log in first');
    const { room } = routeKwargs<'ws/chat/<slug:room>/'>(this.scope);
    this.#group = `chat_${room}`;
    this.#author = user.name;
    await this.groupAdd(this.#group);
    await this.accept();
  }

  override async receiveJson(content: { message?: unknown }): Promise<void> {
    await this.groupSend(this.#group, {
      type: 'chat.message',
      message: String(content.message ?? ''),
      author: this.#author,
    });
  }

  async chatMessage(event: { message: string; author: string }): Promise<void> {
    await this.sendJson({ message: event.message, author: event.author });
  }
}
