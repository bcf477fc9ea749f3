import { join } from 'node:path';
import express from 'express';
import { ProtocolTypeRouter, URLRouter, path } from 'switchyard-channels';
import { ChatConsumer } from './chat-consumer';

const web = express();
web.use(express.static(join(__dirname, '..', 'public')));

export const application = ProtocolTypeRouter({
  http: web,
  websocket: URLRouter([path('ws/chat/<slug:room>/', ChatConsumer)]),
});
