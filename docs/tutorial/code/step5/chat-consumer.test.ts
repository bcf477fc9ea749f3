import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { URLRouter, closeChannelLayers, path, serve } from 'switchyard-channels';
import { WebsocketCommunicator } from 'switchyard-channels/testing';
import { application } from './app';
import { ChatConsumer } from './chat-consumer';

after(() => closeChannelLayers());

describe('ChatConsumer', () => {
  // The consumer alone, behind the same route as in app.ts; the user is put in the scope directly.
  const app = URLRouter([path('ws/chat/<slug:room>/', ChatConsumer)]);
  const member = (name: string, room = 'lobby') => new WebsocketCommunicator(app, `/ws/chat/${room}/`, { scope: { user: { name } } });

  it('sends a line to everyone in the room, with its author', async () => {
    const ada = member('Ada');
    const grace = member('Grace');
    assert.equal((await ada.connect()).connected, true);
    assert.equal((await grace.connect()).connected, true);

    await ada.sendJsonTo({ message: 'hello' });
    assert.deepEqual(await grace.receiveJsonFrom(), { message: 'hello', author: 'Ada' });
    assert.deepEqual(await ada.receiveJsonFrom(), { message: 'hello', author: 'Ada' });

    await ada.disconnect();
    await grace.disconnect();
  });

  it('keeps rooms apart', async () => {
    const ada = member('Ada', 'lobby');
    const linus = member('Linus', 'kitchen');
    await ada.connect();
    await linus.connect();
    await linus.sendJsonTo({ message: 'anyone?' });
    assert.deepEqual(await linus.receiveJsonFrom(), { message: 'anyone?', author: 'Linus' });
    // Had Linus's line reached Ada, it would come before her own (the layer keeps order).
    await ada.sendJsonTo({ message: 'lobby only' });
    assert.deepEqual(await ada.receiveJsonFrom(), { message: 'lobby only', author: 'Ada' });
    await ada.disconnect();
    await linus.disconnect();
  });

  it('refuses a visitor who has not logged in', async () => {
    const stranger = new WebsocketCommunicator(app, '/ws/chat/lobby/');
    const result = await stranger.connect();
    assert.equal(result.connected, false);
    assert.equal(result.status, 401);
  });
});

describe('the whole application', () => {
  it('logs in over HTTP, then chats over a websocket with the session cookie', async () => {
    // The http branch is express: run it on a real port (0: any free one).
    const server = await serve(application, { port: 0, host: '127.0.0.1' });
    try {
      const base = `http://127.0.0.1:${server.address()!.port}`;
      const login = await fetch(`${base}/login`, {
        method: 'POST',
        body: new URLSearchParams({ name: 'Ada' }),
        redirect: 'manual',
      });
      assert.equal(login.status, 302);
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;

      // The websocket branch runs in-process, with the cookie the browser would send.
      const ada = new WebsocketCommunicator(application, '/ws/chat/lobby/', {
        headers: { cookie, origin: base },
      });
      assert.equal((await ada.connect()).connected, true);
      await ada.sendJsonTo({ message: 'signed in' });
      assert.deepEqual(await ada.receiveJsonFrom(), { message: 'signed in', author: 'Ada' });
      await ada.disconnect();
    } finally {
      await server.close();
    }
  });
});
