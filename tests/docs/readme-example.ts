// Kept identical to README.md's example (tests/docs/readme-example.test.ts checks it).
import { JsonWebsocketConsumer, ProtocolTypeRouter, URLRouter, path, serve } from 'switchyard-channels';

type Events = { 'chat.message': { message: string } };

class ChatConsumer extends JsonWebsocketConsumer<Events> {
  get room() { return `chat_${this.scope.urlRoute!.kwargs.room}`; }
  override async connect() { await this.groupAdd(this.room); await this.accept(); }
  override async receiveJson(content: { message: string }) {
    await this.groupSend(this.room, { type: 'chat.message', message: content.message });
  }
  async chatMessage(event: { message: string }) { await this.sendJson({ message: event.message }); }
}

serve(ProtocolTypeRouter({ websocket: URLRouter([path('ws/chat/<room>/', ChatConsumer)]) }), { port: 8000 });
