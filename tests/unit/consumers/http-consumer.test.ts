import { AsyncHttpConsumer } from '../../../src/consumers/http-consumer';
import { InMemoryChannelLayer } from '../../../src/layers/memory-layer';
import { closeChannelLayers, configureChannelLayers } from '../../../src/layers/registry';
import { HttpCommunicator } from '../../../src/testing/http-communicator';

let layer: InMemoryChannelLayer;
beforeEach(() => {
  layer = new InMemoryChannelLayer();
  configureChannelLayers({ default: layer });
});
afterEach(async () => {
  await closeChannelLayers();
  configureChannelLayers(null);
});

describe('AsyncHttpConsumer', () => {
  it('answers a whole response from the request body, then ends and runs disconnect', async () => {
    let disconnects = 0;
    class Upper extends AsyncHttpConsumer {
      override async handle(body: Buffer) {
        await this.sendResponse(200, body.toString().toUpperCase(), { headers: { 'content-type': 'text/plain' } });
      }
      override async disconnect() {
        disconnects++;
      }
    }
    const comm = new HttpCommunicator(Upper.asApp(), 'POST', '/upper', { body: 'shout' });
    expect(await comm.getResponse()).toEqual({ status: 200, headers: [['content-type', 'text/plain']], body: Buffer.from('SHOUT') });
    await comm.wait();
    expect(disconnects).toBe(1);
  });

  it('joins multi-chunk request bodies', async () => {
    class Len extends AsyncHttpConsumer {
      override async handle(body: Buffer) {
        await this.sendResponse(200, String(body.length));
      }
    }
    // The communicator sends one final chunk; a wrapper puts a first chunk before it.
    const chunked = new HttpCommunicator(
      async (scope, receive, send) => {
        let first = true;
        return Len.asApp()(
          scope,
          async () => {
            if (first) {
              first = false;
              return { type: 'http.request', body: Buffer.from('abc'), moreBody: true };
            }
            return receive();
          },
          send,
        );
      },
      'POST',
      '/',
      { body: 'de' },
    );
    expect((await chunked.getResponse()).body.toString()).toBe('5');
  });

  it('answers 405 when handle is not implemented', async () => {
    const comm = new HttpCommunicator(AsyncHttpConsumer.asApp(), 'GET', '/');
    expect((await comm.getResponse()).status).toBe(405);
  });

  it('streams Server-Sent Events fed by groupSend until the client disconnects', async () => {
    let disconnects = 0;
    class Feed extends AsyncHttpConsumer<{ 'news.item': { text: string } }> {
      static override groups = ['news'];
      override async handle() {
        await this.sendHeaders({ headers: [['content-type', 'text/event-stream']] });
        await this.sendBody(': connected\n\n', { more: true });
      }
      async newsItem(event: { type: 'news.item'; text: string }) {
        await this.sendBody(`data: ${event.text}\n\n`, { more: true });
      }
      override async disconnect() {
        disconnects++;
      }
    }
    const comm = new HttpCommunicator(Feed.asApp(), 'GET', '/events');
    expect(await comm.receiveResponseStart()).toEqual({ status: 200, headers: [['content-type', 'text/event-stream']] });
    expect((await comm.receiveBodyChunk()).body.toString()).toBe(': connected\n\n');
    await layer.groupSend('news', { type: 'news.item', text: 'one' });
    await layer.groupSend('news', { type: 'news.item', text: 'two' });
    expect(await comm.receiveBodyChunk()).toEqual({ body: Buffer.from('data: one\n\n'), more: true });
    expect(await comm.receiveBodyChunk()).toEqual({ body: Buffer.from('data: two\n\n'), more: true });
    await comm.disconnect();
    expect(disconnects).toBe(1);
    expect(await layer.groupMembers('news')).toEqual([]);
  });

  it('rejects with a handler error so the server can answer 500, and still runs disconnect', async () => {
    let disconnects = 0;
    class Broken extends AsyncHttpConsumer {
      override async handle() {
        throw new Error('broken handler');
      }
      override async disconnect() {
        disconnects++;
      }
    }
    const comm = new HttpCommunicator(Broken.asApp(), 'GET', '/');
    await expect(comm.getResponse()).rejects.toThrow('broken handler');
    expect(disconnects).toBe(1);
  });

  it('refuses sendBody before sendHeaders', async () => {
    class Wrong extends AsyncHttpConsumer {
      override async handle() {
        await this.sendBody('x');
      }
    }
    const comm = new HttpCommunicator(Wrong.asApp(), 'GET', '/');
    await expect(comm.wait()).rejects.toThrow('Wrong.sendBody() before sendHeaders()');
  });
});
