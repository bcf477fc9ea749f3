import { JsonWebsocketConsumer } from 'switchyard-channels';

/** One browser tab in a chat room. For now it only talks to itself. */
export class ChatConsumer extends JsonWebsocketConsumer {
  override async connect(): Promise<void> {
    await this.accept();
  }

  override async receiveJson(content: { message?: unknown }): Promise<void> {
    await this.sendJson({ message: String(content.message ?? '') });
  }
}
