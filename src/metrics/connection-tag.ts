/**
 * A connection's labels (route pattern, protocol) and its place in the
 * open-connections gauge. The server puts a tag in the scope only while
 * metrics are on; scopes are copied shallowly, so the URLRouter, the HTTP
 * bridge and the application all reach the same tag.
 */
import { CONNECTION_TAG, UNROUTED, instrumentation, type ConnectionGauge, type ConnectionProtocol } from './instrumentation';

/** Per-connection labels, carried in the scope under CONNECTION_TAG while metrics are on. */
export class ConnectionTag {
  route: string | null = null;
  protocol: ConnectionProtocol;
  #gauge: ConnectionGauge | null = null;
  #socket: { bytesRead: number; bytesWritten: number } | null;

  constructor(protocol: ConnectionProtocol, socket: { bytesRead: number; bytesWritten: number } | null = null) {
    this.protocol = protocol;
    this.#socket = socket;
  }

  /** The connection is open (accepted, or an HTTP request began): count it under its labels now. */
  opened(): void {
    if (this.#gauge !== null) return;
    this.#gauge = instrumentation.connectionGauge(this.route ?? UNROUTED, this.protocol);
    this.#gauge.open++;
    if (this.#socket !== null) instrumentation.openSockets.add(this.#socket);
  }

  /** The connection is gone. */
  closed(): void {
    const gauge = this.#gauge;
    if (gauge === null) return;
    this.#gauge = null;
    gauge.open--;
    const socket = this.#socket;
    if (socket !== null && instrumentation.openSockets.delete(socket)) {
      instrumentation.closedBytesRead += socket.bytesRead;
      instrumentation.closedBytesWritten += socket.bytesWritten;
    }
  }

  /** Move an open connection to another protocol label (an HTTP response that turns into an SSE stream). */
  switchProtocol(protocol: ConnectionProtocol): void {
    if (protocol === this.protocol) return;
    this.protocol = protocol;
    if (this.#gauge === null) return;
    this.#gauge.open--;
    this.#gauge = instrumentation.connectionGauge(this.route ?? UNROUTED, protocol);
    this.#gauge.open++;
  }
}

/** The tag of a scope, when metrics are on. */
export function connectionTagOf(scope: object): ConnectionTag | undefined {
  return (scope as Record<symbol, ConnectionTag | undefined>)[CONNECTION_TAG];
}

/**
 * Count this connection under `protocol` in `switchyard_connections_open`
 * (e.g. `'phoenix'` for a Phoenix-protocol socket on a websocket route).
 * A no-op while metrics are off. Call it before accepting the connection.
 *
 * @example
 * setConnectionProtocol(this.scope, 'phoenix');
 */
export function setConnectionProtocol(scope: object, protocol: ConnectionProtocol): void {
  connectionTagOf(scope)?.switchProtocol(protocol);
}

/** Record the route pattern a URLRouter matched (nested routers append theirs). */
export function recordRoute(scope: object, pattern: string, nested: boolean): void {
  const tag = connectionTagOf(scope);
  if (tag === undefined) return;
  tag.route = nested && tag.route !== null ? tag.route + pattern : pattern;
}

/** An HTTP response began: count the request as open now that its route is known (an event stream counts as `sse`). */
export function httpResponseStarted(scope: object, headers: readonly string[]): void {
  const tag = connectionTagOf(scope);
  if (tag === undefined) return;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() === 'content-type' && headers[i + 1]!.toLowerCase().startsWith('text/event-stream')) tag.protocol = 'sse';
  }
  tag.opened();
}
