/** A real server with a Phoenix socket at `/socket`, on a fresh in-memory layer. */
import type { Application } from '../../src/application';
import { InMemoryChannelLayer } from '../../src/layers/memory-layer';
import { closeChannelLayers, configureChannelLayers } from '../../src/layers/registry';
import { ProtocolTypeRouter } from '../../src/routing/protocol-type-router';
import { URLRouter, path } from '../../src/routing/url-router';
import type { ServerOptions } from '../../src/server/options';
import { registerCloser } from '../helpers/cleanup';
import { startServer, type StartedServer } from '../helpers/start-server';

// A URLRouter (what phoenixSocket returns) takes three arguments; a factory takes one.
function isApplication(value: Function): boolean {
  return value.length === 3 || (value as { routes?: unknown }).routes !== undefined;
}

/** A started server with the Phoenix endpoint. */
export interface PhoenixServer extends StartedServer {
  /** `ws://127.0.0.1:<port>/socket`, what phoenix.js is given. */
  endpoint: string;
  layer: InMemoryChannelLayer;
}

/**
 * Serve `socket` at `/socket` (WebSocket and long-poll) with a fresh memory
 * layer as `default`; `socket` may be a function of that layer.
 */
export async function startPhoenix(
  socket: Application | ((layer: InMemoryChannelLayer) => Application),
  options: ServerOptions = {},
): Promise<PhoenixServer> {
  const layer = new InMemoryChannelLayer();
  configureChannelLayers({ default: layer });
  registerCloser(() => closeChannelLayers());
  const app = socket.length <= 1 && !isApplication(socket) ? (socket as (layer: InMemoryChannelLayer) => Application)(layer) : (socket as Application);
  const router = URLRouter([path('socket/', app)]);
  const server = await startServer(ProtocolTypeRouter({ websocket: router, http: router }), options);
  return { ...server, endpoint: `${server.url}/socket`, layer };
}
