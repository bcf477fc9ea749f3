/**
 * Finding 6 of the security review, Switchyard's own side: whatever an
 * application throws, the server's HTTP answers (plain requests through the
 * http bridge or a Node handler, refused handshakes) carry the status text
 * only, never the error's message, stack or a path of the machine.
 */
import type { Application } from '../../../src/application';
import { ProtocolTypeRouter } from '../../../src/routing/protocol-type-router';
import { closeAll, startServer, tryConnect } from '../../helpers';

afterEach(closeAll);

const secretError = (): Error => new Error(`failed reading ${__filename}`);
const leaks = (text: string): boolean => text.includes(__filename) || /\n\s+at /.test(text) || text.includes('failed reading');

describe('finding 6: Switchyard answers carry no stack trace or machine path', () => {
  it('an HTTP application that throws: 500 with the status text only', async () => {
    const app: Application = async () => {
      throw secretError();
    };
    const server = await startServer(app);
    const response = await fetch(`${server.httpUrl}/x`);
    const body = await response.text();
    expect(response.status).toBe(500);
    expect(leaks(body)).toBe(false);
    expect(server.errors).toHaveLength(1);
  });

  it('a Node handler that throws: 500 with the status text only', async () => {
    // An express-like app (handle + use): the router passes it the Node request as is.
    const node = Object.assign(
      () => {
        throw secretError();
      },
      { handle: () => {}, use: () => {} },
    );
    const server = await startServer(ProtocolTypeRouter({ http: node as never }));
    const response = await fetch(`${server.httpUrl}/x`);
    expect(response.status).toBe(500);
    expect(leaks(await response.text())).toBe(false);
  });

  it('a websocket application that throws during the handshake: 500 with the status text only', async () => {
    const app: Application = async (_scope, receive) => {
      await receive();
      throw secretError();
    };
    const server = await startServer(app);
    const outcome = await tryConnect(`${server.url}/ws/`);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.status).toBe(500);
    expect(leaks(outcome.body)).toBe(false);
  });
});
