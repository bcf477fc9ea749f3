/**
 * The HTTP side of the demo, a plain express app: the lobby page, the room
 * page, the room list as JSON, and the static files. The pages are static;
 * everything live comes over the websockets.
 */
import * as path from 'node:path';
import { STATUS_CODES } from 'node:http';
import express, { type ErrorRequestHandler, type Express, type Response } from 'express';
import { isRoomName } from './names';
import type { PresenceFeed } from './presence-feed';

const PUBLIC = path.join(__dirname, 'public');
// The phoenix.js browser build (an ES module), served from the installed package: no bundler.
const PHOENIX_MJS = path.join(path.dirname(require.resolve('phoenix')), 'phoenix.mjs');
// switchyard-channels/client (the package's browser helper for recovery), from this checkout.
const CLIENT_MJS = path.join(__dirname, '..', 'client', 'index.mjs');

// Everything the pages load comes from this origin; no inline script or style.
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
};

function page(res: Response, file: string): void {
  res.set('Cache-Control', 'no-cache');
  res.sendFile(path.join(PUBLIC, file));
}

/** The demo's express app; `feed` answers `/api/rooms`. */
export function createWebApp(feed: PresenceFeed): Express {
  const web = express();
  web.disable('x-powered-by');
  // `/chat/lobby` and `/chat/lobby/` are different routes: the first redirects.
  web.set('strict routing', true);
  web.use((_req, res, next) => {
    res.set(SECURITY_HEADERS);
    next();
  });

  web.get('/', (_req, res) => page(res, 'index.html'));
  web.get('/chat/:room/', (req, res) => {
    if (!isRoomName(req.params.room)) {
      res.status(404).type('text/plain').send('No such room: room names use letters, digits, - and _ (at most 48).\n');
      return;
    }
    page(res, 'room.html');
  });
  // `/chat/lobby` -> `/chat/lobby/`, keeping the query string (the name).
  web.get('/chat/:room', (req, res) => {
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
    res.redirect(301, `/chat/${encodeURIComponent(req.params.room)}/${query}`);
  });
  web.get('/api/rooms', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ rooms: feed.rooms() });
  });
  web.get('/static/vendor/phoenix.mjs', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').type('text/javascript').sendFile(PHOENIX_MJS);
  });
  web.get('/static/vendor/switchyard-client.mjs', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').type('text/javascript').sendFile(CLIENT_MJS);
  });
  web.use('/static', express.static(PUBLIC, { index: false, maxAge: '5m' }));
  web.get('/favicon.ico', (_req, res) => res.redirect(301, '/static/favicon.svg'));
  web.use((_req, res) => {
    res.status(404).type('text/plain').send('Not found.\n');
  });
  web.use(terminalErrorHandler);
  return web;
}

/**
 * The last handler: express's default one writes the error's stack (with
 * this machine's paths) into the response unless NODE_ENV is production.
 * Client errors (a malformed URL: 400) keep their status; everything else is
 * a 500; the body is the status text only.
 */
const terminalErrorHandler: ErrorRequestHandler = (error, _req, res, _next) => {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const given = Number((error as { status?: unknown; statusCode?: unknown })?.status ?? (error as { statusCode?: unknown })?.statusCode);
  const status = Number.isInteger(given) && given >= 400 && given < 500 ? given : 500;
  if (status === 500) process.stderr.write(`[demo] request failed: ${(error as Error)?.message ?? String(error)}\n`);
  res.status(status).set('Cache-Control', 'no-store').type('text/plain').send(`${STATUS_CODES[status] ?? 'Error'}\n`);
};
