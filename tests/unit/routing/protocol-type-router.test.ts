import express from 'express';
import type { Application, Scope } from '../../../src/application';
import {
  NODE_HTTP_HANDLER,
  ProtocolTypeRouter,
  isNodeHttpHandler,
  nodeHandler,
  nodeHttpHandlerOf,
} from '../../../src/routing/protocol-type-router';
import { WebsocketCommunicator } from '../../../src/testing/websocket-communicator';

const noopReceive = async () => ({ type: 'noop' });
const noopSend = async () => {};

function recorder(): { app: Application; scopes: Scope[] } {
  const scopes: Scope[] = [];
  return {
    scopes,
    app: async (scope) => {
      scopes.push(scope);
    },
  };
}

describe('ProtocolTypeRouter', () => {
  it('dispatches on scope.type', async () => {
    const ws = recorder();
    const channel = recorder();
    const router = ProtocolTypeRouter({ websocket: ws.app, channel: channel.app });
    const wsScope = { type: 'websocket', path: '/' } as unknown as Scope;
    await router(wsScope, noopReceive, noopSend);
    await router({ type: 'channel', channel: 'jobs' }, noopReceive, noopSend);
    expect(ws.scopes).toEqual([wsScope]);
    expect(channel.scopes).toEqual([{ type: 'channel', channel: 'jobs' }]);
    expect(router.scopeTypes).toEqual(['websocket', 'channel']);
  });

  it('throws UnknownScopeType naming the configured types', async () => {
    const router = ProtocolTypeRouter({ websocket: recorder().app });
    const call = router({ type: 'http' } as unknown as Scope, noopReceive, noopSend);
    await expect(call).rejects.toMatchObject({ code: 'ERR_UNKNOWN_SCOPE_TYPE', scopeType: 'http' });
    await expect(router({ type: 'lifespan' } as unknown as Scope, noopReceive, noopSend)).rejects.toThrow(/"websocket"/);
  });

  it('works under the WebsocketCommunicator', async () => {
    const accept: Application = async (_scope, receive, send) => {
      await receive();
      await send({ type: 'websocket.accept' });
    };
    const comm = new WebsocketCommunicator(ProtocolTypeRouter({ websocket: accept }), '/ws/');
    expect(await comm.connect()).toMatchObject({ connected: true });
    await comm.disconnect();
  });

  it('recognises an express app as a Node handler and exposes it for the server', async () => {
    const app = express();
    const router = ProtocolTypeRouter({ http: app, websocket: recorder().app });
    expect(router[NODE_HTTP_HANDLER]).toBe(app);
    expect(nodeHttpHandlerOf(router)).toBe(app);
    await expect(router({ type: 'http' } as unknown as Scope, noopReceive, noopSend)).rejects.toMatchObject({
      code: 'ERR_NODE_HANDLER_ONLY',
    });
  });

  it('recognises handlers marked with nodeHandler()', () => {
    const handler = nodeHandler((_req, res) => res.end());
    expect(isNodeHttpHandler(handler)).toBe(true);
    expect(isNodeHttpHandler(async () => {})).toBe(false);
    expect(ProtocolTypeRouter({ http: handler })[NODE_HTTP_HANDLER]).toBe(handler);
  });

  it('translates an http application (no Node handler) and answers 404 without an http branch', () => {
    expect(ProtocolTypeRouter({ http: recorder().app })[NODE_HTTP_HANDLER]).toBeUndefined();
    expect(typeof ProtocolTypeRouter({ websocket: recorder().app })[NODE_HTTP_HANDLER]).toBe('function');
  });

  it('refuses branches that are not functions', () => {
    expect(() => ProtocolTypeRouter({ websocket: 'x' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    expect(() => ProtocolTypeRouter(null as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});
