/**
 * Plain HTTP through the server: an express app (or a nodeHandler) next to
 * WebSockets on one port, and applications written against the http.*
 * events, including a streamed (Server-Sent Events) response.
 */
import http from 'node:http';
import express from 'express';
import type { Application } from '../../src/application';
import { ProtocolTypeRouter, nodeHandler } from '../../src/routing/protocol-type-router';
import { URLRouter, path } from '../../src/routing/url-router';
import { closeAll, connectClient, deferred, echoApp, startServer } from '../helpers';
import { withTimeout } from '../helpers/deadline';

afterEach(closeAll);

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(url: string, options: { method?: string; body?: string } = {}): Promise<Reply> {
  const reply = new Promise<Reply>((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
  return withTimeout(reply, 5_000, `a response from ${url}`);
}

describe('node handlers', () => {
  it('serves an express app and WebSockets on the same port', async () => {
    const app = express();
    app.use(express.json());
    app.get('/health', (_req, res) => {
      res.json({ ok: true });
    });
    app.post('/echo', (req, res) => {
      res.status(201).json(req.body);
    });
    const server = await startServer(ProtocolTypeRouter({ http: app, websocket: echoApp }));

    const health = await request(`${server.httpUrl}/health`);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ ok: true });
    expect(health.headers['x-powered-by']).toBe('Express');

    const posted = await new Promise<Reply>((resolve, reject) => {
      const req = http.request(`${server.httpUrl}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ a: 1 }));
    });
    expect(posted).toMatchObject({ status: 201, body: '{"a":1}' });
    expect((await request(`${server.httpUrl}/missing`)).status).toBe(404);

    const client = await connectClient(`${server.url}/ws/`);
    client.send('both');
    expect(await client.nextText()).toBe('both');
  });

  it('calls a nodeHandler() directly with (req, res)', async () => {
    const handler = nodeHandler((req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end(`you asked for ${req.url}`);
    });
    const server = await startServer(ProtocolTypeRouter({ http: handler, websocket: echoApp }));
    expect(await request(`${server.httpUrl}/a?b=c`)).toMatchObject({ status: 200, body: 'you asked for /a?b=c' });
  });

  it('answers 404 when the router has no http branch', async () => {
    const server = await startServer(ProtocolTypeRouter({ websocket: echoApp }));
    expect((await request(`${server.httpUrl}/`)).status).toBe(404);
  });

  it('a node handler that throws gets a 500 and the error is reported', async () => {
    const server = await startServer(ProtocolTypeRouter({ http: nodeHandler(() => { throw new Error('express-ish failure'); }) }));
    expect((await request(`${server.httpUrl}/`)).status).toBe(500);
    expect((server.errors[0] as Error).message).toBe('express-ish failure');
  });
});

describe('http.* applications', () => {
  it('reads the request body and sends a response', async () => {
    const seen = deferred<Record<string, unknown>>();
    const app: Application = async (scope, receive, send) => {
      const chunks: Uint8Array[] = [];
      for (;;) {
        const event = await receive();
        chunks.push(event.body as Uint8Array);
        if (!event.moreBody) break;
      }
      seen.resolve(scope as unknown as Record<string, unknown>);
      const body = Buffer.concat(chunks).toString('utf8');
      await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain'], ['x-len', String(body.length)]] });
      await send({ type: 'http.response.body', body: Buffer.from(body.toUpperCase()) });
    };
    const server = await startServer(ProtocolTypeRouter({ http: app }));
    const reply = await request(`${server.httpUrl}/up/caf%C3%A9?q=1`, { method: 'POST', body: 'hello' });
    expect(reply).toMatchObject({ status: 200, body: 'HELLO' });
    expect(reply.headers['x-len']).toBe('5');
    expect(reply.headers['content-length']).toBe('5');
    expect(await seen.promise).toMatchObject({
      type: 'http',
      method: 'POST',
      scheme: 'http',
      path: '/up/café',
      rawPath: '/up/caf%C3%A9',
      queryString: 'q=1',
      httpVersion: '1.1',
    });
  });

  it('streams Server-Sent Events chunk by chunk and sees the client leave', async () => {
    const release = deferred();
    const disconnected = deferred<string>();
    const app: Application = async (_scope, receive, send) => {
      await receive();
      await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/event-stream'], ['cache-control', 'no-cache']] });
      await send({ type: 'http.response.body', body: Buffer.from('data: one\n\n'), moreBody: true });
      await release.promise;
      await send({ type: 'http.response.body', body: Buffer.from('data: two\n\n'), moreBody: true });
      disconnected.resolve((await receive()).type);
      await send({ type: 'http.response.body', body: Buffer.from('data: too late\n\n'), moreBody: true });
    };
    const server = await startServer(ProtocolTypeRouter({ http: app }));
    const events: string[] = [];
    const gotTwo = deferred();
    const req = http.get(`${server.httpUrl}/events`, { agent: false }, (res) => {
      expect(res.headers['content-type']).toBe('text/event-stream');
      res.on('data', (chunk: Buffer) => {
        events.push(chunk.toString());
        if (events.length === 1) release.resolve();
        else gotTwo.resolve();
      });
    });
    req.on('error', () => {});
    await withTimeout(gotTwo.promise, 5_000, 'the second event');
    expect(events).toEqual(['data: one\n\n', 'data: two\n\n']);
    req.destroy();
    expect(await withTimeout(disconnected.promise, 5_000, 'http.disconnect')).toBe('http.disconnect');
  });

  it('routes http scopes through URLRouter: a miss is 404', async () => {
    const hello: Application = async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: Buffer.from('hi') });
    };
    const server = await startServer(ProtocolTypeRouter({ http: URLRouter([path('hello/', hello)]) }));
    expect(await request(`${server.httpUrl}/hello/`)).toMatchObject({ status: 200, body: 'hi' });
    expect((await request(`${server.httpUrl}/nope/`)).status).toBe(404);
    expect(server.errors).toEqual([]);
  });

  it('an app that throws before responding gets 500; one that returns without responding too', async () => {
    const thrower: Application = async () => {
      throw new Error('nope');
    };
    const silent: Application = async () => {};
    const server = await startServer(ProtocolTypeRouter({ http: URLRouter([path('throw/', thrower), path('silent/', silent)]) }));
    expect((await request(`${server.httpUrl}/throw/`)).status).toBe(500);
    expect((await request(`${server.httpUrl}/silent/`)).status).toBe(500);
    expect(server.errors).toHaveLength(2);
  });
});
