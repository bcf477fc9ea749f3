/**
 * An express app with express-session on a MemoryStore, listening on
 * 127.0.0.1:0, to log in "through the website" and then reuse its cookie.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import session from 'express-session';

export const SECRET = 'keyboard cat';

export interface ExpressFixture {
  store: session.MemoryStore;
  url: string;
  /** POST /login/:name and return the `connect.sid=...` cookie pair it set. */
  login(name: string): Promise<string>;
  /** GET /whoami with `cookie`: what express sees as req.session.user and the session itself. */
  whoami(cookie: string): Promise<{ user: unknown; session: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startExpress(options: { secret?: string | string[]; maxAge?: number } = {}): Promise<ExpressFixture> {
  const store = new session.MemoryStore();
  const app = express();
  app.use(
    session({
      store,
      secret: options.secret ?? SECRET,
      resave: false,
      saveUninitialized: false,
      cookie: options.maxAge === undefined ? {} : { maxAge: options.maxAge },
    }),
  );
  app.post('/login/:name', (req, res) => {
    (req.session as unknown as Record<string, unknown>).user = { name: req.params.name };
    res.send('ok');
  });
  app.get('/whoami', (req, res) => {
    const data = req.session as unknown as Record<string, unknown>;
    res.json({ user: data.user ?? null, session: JSON.parse(JSON.stringify(req.session)) });
  });
  const server: Server = createServer(app);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    store,
    url,
    async login(name) {
      const response = await fetch(`${url}/login/${encodeURIComponent(name)}`, { method: 'POST' });
      const setCookie = response.headers.get('set-cookie');
      await response.text();
      if (!setCookie) throw new Error('express did not set a session cookie');
      return setCookie.split(';')[0];
    },
    async whoami(cookie) {
      const response = await fetch(`${url}/whoami`, { headers: { cookie } });
      return (await response.json()) as { user: unknown; session: Record<string, unknown> };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
