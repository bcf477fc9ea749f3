import { join } from 'node:path';
import express from 'express';
import session from 'express-session';
import jwt from 'jsonwebtoken';
import {
  AllowedHostsOriginValidator,
  AuthMiddlewareStack,
  ProtocolTypeRouter,
  TokenAuthMiddleware,
  URLRouter,
  path,
} from 'switchyard-channels';
import { ChatConsumer, type ChatUser } from './chat-consumer';

declare module 'express-session' {
  interface SessionData {
    user: ChatUser;
  }
}

const secret = process.env.SESSION_SECRET ?? 'dev only: set SESSION_SECRET';
const jwtSecret = process.env.JWT_SECRET ?? 'dev only: set JWT_SECRET';
// One store for both sides: express writes the session, the websocket reads it.
const store = new session.MemoryStore();

const web = express();
web.use(express.static(join(__dirname, '..', 'public')));
web.use(express.urlencoded({ extended: false }));
web.use(session({ store, secret, resave: false, saveUninitialized: false }));

// A tutorial has no passwords: whoever posts a name is that user.
web.post('/login', (req, res) => {
  const name = String(req.body?.name ?? '').trim().slice(0, 32);
  if (!name) return void res.status(400).send('a name, please');
  req.session.user = { name };
  res.redirect('/');
});

// A short-lived token for clients that do not hold the session cookie.
web.post('/token', (req, res) => {
  const user = req.session.user;
  if (!user) return void res.status(401).send('log in first');
  res.json({ token: jwt.sign({ name: user.name }, jwtSecret, { expiresIn: '5m' }) });
});

export const application = ProtocolTypeRouter({
  http: web,
  websocket: URLRouter([
    // Browsers send cookies with any page's handshake: check the Origin first.
    path('ws/chat/<slug:room>/', AllowedHostsOriginValidator(AuthMiddlewareStack(ChatConsumer.asApp(), { store, secret }))),
    // A token is never sent by the browser on its own, so this route needs no Origin check.
    path('api/ws/chat/<slug:room>/', TokenAuthMiddleware(ChatConsumer.asApp(), { secret: jwtSecret })),
  ]),
});
