import { ProtocolTypeRouter, URLRouter, path } from 'switchyard-channels';
import { ChatConsumer } from './chat-consumer';
import { web } from './web';

/** Plain HTTP still goes to express, untouched; WebSocket upgrades go to the router. */
export const application = ProtocolTypeRouter({
  http: web,
  websocket: URLRouter([path('ws/chat/<slug:room>/', ChatConsumer)]),
});
