/**
 * The error catalogue. Every error Switchyard raises is a class here with a
 * stable `code`; those that reach the wire also carry the HTTP `status` or the
 * WebSocket `closeCode` they produce. Tests assert codes, not messages.
 *
 * Lifecycle signals (StopConsumer, DenyConnection, AcceptConnection) are
 * classes too: throwing them is how a consumer steers its connection.
 */
import { CloseCode } from './close-codes';

/** Options common to every catalogue error. */
interface ErrorOptions {
  cause?: unknown;
}

/** Base class of Switchyard's own errors (the TypeError-class ones below are not subclasses; use `isSwitchyardError`). */
export class SwitchyardError extends Error {
  /** Stable, documented identifier, e.g. `ERR_CHANNEL_FULL`. */
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** True for any error from this catalogue, including the TypeError-class ones. */
export function isSwitchyardError(error: unknown): error is Error & { code: string } {
  return (
    error instanceof SwitchyardError ||
    error instanceof InvalidChannelName ||
    error instanceof InvalidGroupName ||
    error instanceof InvalidMessage ||
    error instanceof InvalidOption
  );
}

// ---------------------------------------------------------------- lifecycle

/** Thrown (or raised by `close()`) to end a consumer's event loop cleanly. */
export class StopConsumer extends SwitchyardError {
  constructor(message = 'consumer stopped') {
    super('ERR_STOP_CONSUMER', message);
  }
}

/**
 * Thrown from `connect()` to refuse the handshake with an HTTP status
 * (403 unless given) and an optional reason sent as the response body.
 */
export class DenyConnection extends SwitchyardError {
  readonly status: number;
  readonly reason: string;
  readonly headers: Array<[string, string]>;
  constructor(status = 403, reason = '', headers: Array<[string, string]> = []) {
    super('ERR_DENY_CONNECTION', `connection denied with HTTP ${status}${reason ? `: ${reason}` : ''}`);
    this.status = status;
    this.reason = reason;
    this.headers = headers;
  }
}

/** Thrown from `connect()` to accept the handshake without calling `accept()`. */
export class AcceptConnection extends SwitchyardError {
  constructor() {
    super('ERR_ACCEPT_CONNECTION', 'connection accepted');
  }
}

// ---------------------------------------------------------------- routing

/** No route matched the path; refuses the handshake with 404. */
export class RouteNotFound extends SwitchyardError {
  readonly status = 404;
  readonly path: string;
  constructor(path: string) {
    super('ERR_ROUTE_NOT_FOUND', `no route found for path ${JSON.stringify(path)}`);
    this.path = path;
  }
}

/** ProtocolTypeRouter got a scope type it has no application for. */
export class UnknownScopeType extends SwitchyardError {
  readonly scopeType: string;
  constructor(scopeType: string, known: string[]) {
    super(
      'ERR_UNKNOWN_SCOPE_TYPE',
      `ProtocolTypeRouter has no application for scope type ${JSON.stringify(scopeType)}; ` +
        `configured types: ${known.map((k) => JSON.stringify(k)).join(', ') || 'none'}. ` +
        `Add it to the object passed to ProtocolTypeRouter({ ... }).`,
    );
    this.scopeType = scopeType;
  }
}

/** A path pattern that cannot be compiled (unknown converter, bad syntax). */
export class InvalidRoutePattern extends SwitchyardError {
  constructor(message: string) {
    super('ERR_INVALID_ROUTE_PATTERN', message);
  }
}

/**
 * A route was given something that is not an application: not a function, a
 * class that is not a consumer, a function taking more than (scope, receive,
 * send), an express app, or a consumer's `asApp` without the call. Thrown by
 * `path()`/`rePath()` when the route is defined; an application that returns
 * a function instead of a promise is refused the same way at its first call.
 */
export class NotAnApplication extends SwitchyardError {
  constructor(where: string, problem: string) {
    super(
      'ERR_NOT_AN_APPLICATION',
      `${where}: ${problem}. A route takes a consumer class (ChatConsumer), the application it makes ` +
        `(ChatConsumer.asApp()), or an application function async (scope, receive, send) => { ... }.`,
    );
  }
}

/** ChannelNameRouter got a channel it has no application for. */
export class UnknownChannel extends SwitchyardError {
  readonly channel: string;
  constructor(channel: string, known: string[]) {
    super(
      'ERR_UNKNOWN_CHANNEL',
      `ChannelNameRouter has no application for channel ${JSON.stringify(channel)}; ` +
        `configured channels: ${known.map((k) => JSON.stringify(k)).join(', ') || 'none'}. ` +
        `Add it to the object passed to ChannelNameRouter({ ... }).`,
    );
    this.channel = channel;
  }
}

/** A Node `(req, res)` HTTP handler was called with a scope; it only runs under createServer. */
export class NodeHandlerOnly extends SwitchyardError {
  constructor() {
    super(
      'ERR_NODE_HANDLER_ONLY',
      'the http branch of this ProtocolTypeRouter is a Node (req, res) handler (e.g. an express app); ' +
        'it runs only under createServer()/serve(), not with an http scope; use an HTTP consumer to drive it in-process',
    );
  }
}

// ---------------------------------------------------------------- options

/** A misconfigured option; the message names the option and what it accepts. */
export class InvalidOption extends TypeError {
  readonly code = 'ERR_INVALID_OPTION';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidOption';
  }
}

// ---------------------------------------------------------------- protocol misuse

/** The application sent an event that is not valid in the connection's state (e.g. send before accept). */
export class InvalidEvent extends SwitchyardError {
  constructor(message: string) {
    super('ERR_INVALID_EVENT', message);
  }
}

// ---------------------------------------------------------------- consumers

/** An event type maps to a handler name that is private or an internal method. */
export class PrivateHandler extends SwitchyardError {
  readonly eventType: string;
  constructor(eventType: string, handlerName: string) {
    super(
      'ERR_PRIVATE_HANDLER',
      `event type ${JSON.stringify(eventType)} maps to ${JSON.stringify(handlerName)}, ` +
        `which is private or an internal consumer method; choose another event type`,
    );
    this.eventType = eventType;
  }
}

/** A consumer has no handler for an event type (dropped by default; fatal with `strictDispatch`). */
export class NoHandler extends SwitchyardError {
  readonly eventType: string;
  readonly closeCode = CloseCode.NO_HANDLER;
  constructor(eventType: string, handlerName: string, consumerName: string) {
    super(
      'ERR_NO_HANDLER',
      `${consumerName} has no handler for event type ${JSON.stringify(eventType)}; ` +
        `define a method named ${handlerName}(event)`,
    );
    this.eventType = eventType;
  }
}

/** A JSON consumer received a frame that is not valid JSON, or a binary frame. */
export class InvalidJson extends SwitchyardError {
  readonly closeCode = CloseCode.INVALID_JSON;
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_INVALID_JSON', message, options);
  }
}

/**
 * A decoded JSON message crossed one of the consumer's `jsonLimits` (depth,
 * keys per object, array length, values in all): refused before any
 * transformation or validation with an error frame; the connection stays.
 */
export class JsonLimitExceeded extends SwitchyardError {
  /** Which limit: `maxDepth`, `maxKeys`, `maxArrayLength` or `maxValues`. */
  readonly limit: string;
  constructor(limit: string, value: number, what: string) {
    super('ERR_JSON_LIMIT', `the message ${what} (${limit} ${value}); send a smaller message`);
    this.limit = limit;
  }
}

/** One failed class-validator constraint, as sent to the client in an error frame. */
export interface ConstraintFailure {
  field: string;
  constraint: string;
  message: string;
}

/** A client payload failed DTO validation; the connection stays open. */
export class ValidationFailed extends SwitchyardError {
  readonly failures: ConstraintFailure[];
  constructor(failures: ConstraintFailure[]) {
    super(
      'ERR_VALIDATION_FAILED',
      `validation failed: ${failures.map((f) => `${f.field} (${f.constraint})`).join(', ')}`,
    );
    this.failures = failures;
  }
}

/** A JSON message named an action (discriminator value) no handler is registered for. */
export class UnknownAction extends SwitchyardError {
  readonly action: unknown;
  constructor(action: unknown, discriminator: string) {
    super(
      'ERR_UNKNOWN_ACTION',
      action === undefined
        ? `the message has no ${JSON.stringify(discriminator)} field, and this consumer has no @DefaultAction for such messages`
        : `unknown ${discriminator} ${JSON.stringify(action)}`,
    );
    this.action = action;
  }
}

/** The consumer needs a channel layer but none is configured. */
export class NoChannelLayer extends SwitchyardError {
  constructor(what: string) {
    super(
      'ERR_NO_CHANNEL_LAYER',
      `${what} needs a channel layer, but none is configured; call configureChannelLayers({ default: ... }) ` +
        `or set CHANNEL_LAYER_URL (for example memory://), or set channelLayerAlias on the consumer`,
    );
  }
}

// ---------------------------------------------------------------- channel layers

/** A channel name breaks the naming rule. */
export class InvalidChannelName extends TypeError {
  readonly code = 'ERR_INVALID_CHANNEL_NAME';
  constructor(name: unknown, rule: string) {
    super(`invalid channel name ${JSON.stringify(name)}: ${rule}`);
    this.name = 'InvalidChannelName';
  }
}

/** A group name breaks the naming rule. */
export class InvalidGroupName extends TypeError {
  readonly code = 'ERR_INVALID_GROUP_NAME';
  constructor(name: unknown, rule: string) {
    super(`invalid group name ${JSON.stringify(name)}: ${rule}`);
    this.name = 'InvalidGroupName';
  }
}

/** A message that is not plain data; `path` names the offending value (e.g. `message.items[2].at`). */
export class InvalidMessage extends TypeError {
  readonly code = 'ERR_INVALID_MESSAGE';
  readonly path: string;
  constructor(path: string, problem: string) {
    super(`invalid channel layer message at ${path}: ${problem}`);
    this.name = 'InvalidMessage';
    this.path = path;
  }
}

/** `send` to a channel whose queue is at capacity. */
export class ChannelFull extends SwitchyardError {
  readonly channel: string;
  constructor(channel: string, capacity: number) {
    super('ERR_CHANNEL_FULL', `channel ${JSON.stringify(channel)} is full (capacity ${capacity})`);
    this.channel = channel;
  }
}

/** The layer was closed; no further calls are possible. */
export class LayerClosed extends SwitchyardError {
  constructor(what = 'channel layer') {
    super('ERR_LAYER_CLOSED', `${what} is closed`);
  }
}

/**
 * The layer's backend (e.g. Redis) cannot be reached; the call failed fast.
 * A handshake it interrupts is refused with 503; after accept, consumers
 * answer it with an error frame and keep the connection.
 */
export class LayerUnavailable extends SwitchyardError {
  readonly status = 503;
  /**
   * True when the command had been written when the connection failed (a
   * stalled or dropped server): the server may still carry it out when it
   * resumes. False when it was refused before anything was sent.
   */
  readonly inFlight: boolean;
  constructor(message: string, options?: ErrorOptions & { inFlight?: boolean }) {
    super('ERR_LAYER_UNAVAILABLE', message, options);
    this.inFlight = options?.inFlight ?? false;
  }
}

/** `groupHistory` for a group no `history` pattern of the layer matches. */
export class HistoryNotEnabled extends SwitchyardError {
  readonly group: string;
  constructor(group: string) {
    super(
      'ERR_HISTORY_NOT_ENABLED',
      `group ${JSON.stringify(group)} keeps no history: add a pattern matching it to the layer's history option, ` +
        "e.g. history: [['chat_*', { size: 100, ttl: 300 }]]",
    );
    this.group = group;
  }
}

/** A client's `since` position (query string or join payload) is malformed; a handshake is refused with 400. */
export class InvalidHistoryPosition extends SwitchyardError {
  readonly status = 400;
  constructor(detail: string) {
    super('ERR_INVALID_HISTORY_POSITION', detail);
  }
}

/** A `receive()` was abandoned through its AbortSignal. */
export class ReceiveAborted extends SwitchyardError {
  constructor(channel: string) {
    super('ERR_RECEIVE_ABORTED', `receive on ${JSON.stringify(channel)} was aborted`);
  }
}

/** Which part of a layer configuration was wrong (see `InvalidChannelLayerConfig.part`). */
export type LayerConfigPart = 'url' | 'scheme' | 'query' | 'database' | 'host' | 'options' | 'alias';

/**
 * Channel layer configuration that cannot be used (unknown alias, bad URL,
 * unknown query key, a database the server does not have). `part` names
 * what to fix.
 */
export class InvalidChannelLayerConfig extends SwitchyardError {
  /** The part at fault, when known: `url`, `scheme`, `query`, `database`, `host`, `options` or `alias`. */
  readonly part: LayerConfigPart | undefined;
  constructor(message: string, part?: LayerConfigPart, options?: ErrorOptions) {
    super('ERR_INVALID_LAYER_CONFIG', message, options);
    this.part = part;
  }
}

// ---------------------------------------------------------------- middleware

/** A middleware found the scope without a key that an earlier middleware must add. */
export class MiddlewareOrderError extends SwitchyardError {
  constructor(middleware: string, needs: string, key: string) {
    super(
      'ERR_MIDDLEWARE_ORDER',
      `${middleware} needs scope.${key}, which ${needs} adds; wrap it inside ${needs} ` +
        `(e.g. ${needs}(${middleware}(app))), or use AuthMiddlewareStack`,
    );
  }
}

/** Authentication failed (bad or expired token); refuses the handshake with 401. */
export class AuthenticationFailed extends SwitchyardError {
  readonly status = 401;
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_AUTHENTICATION_FAILED', message, options);
  }
}

/** The Origin header is missing or not allowed; refuses the handshake with 403. */
export class OriginRejected extends SwitchyardError {
  readonly status = 403;
  constructor(origin: string | undefined) {
    super('ERR_ORIGIN_REJECTED', `origin ${origin === undefined ? '(missing)' : JSON.stringify(origin)} is not allowed`);
  }
}

/** A client sent faster than its rate limit allows. */
export class RateLimited extends SwitchyardError {
  readonly closeCode = CloseCode.POLICY_VIOLATION;
  constructor() {
    super('ERR_RATE_LIMITED', 'rate limit exceeded');
  }
}

// ---------------------------------------------------------------- server

/** The server is at `maxConnections`; the handshake is refused with 503. */
export class ServerBusy extends SwitchyardError {
  readonly status = 503;
  constructor(max: number) {
    super('ERR_SERVER_BUSY', `server is at its connection limit (${max})`);
  }
}

/** A client address holds `maxConnectionsPerAddress` connections; its next handshake is refused with 429. */
export class TooManyConnections extends SwitchyardError {
  readonly status = 429;
  constructor(max: number) {
    super('ERR_TOO_MANY_CONNECTIONS', `too many connections from this address (limit ${max})`);
  }
}

/** The server is closing or closed. */
export class ServerClosed extends SwitchyardError {
  constructor() {
    super('ERR_SERVER_CLOSED', 'server is closed');
  }
}

// ---------------------------------------------------------------- cli

/** Bad command-line arguments; the CLI prints the message and exits with 2. */
export class UsageError extends SwitchyardError {
  readonly exitCode = 2;
  constructor(message: string) {
    super('ERR_USAGE', message);
  }
}

/** A module given to the CLI could not be found or threw while loading. */
export class ModuleLoadFailed extends SwitchyardError {
  readonly specifier: string;
  constructor(specifier: string, message: string, options?: ErrorOptions) {
    super('ERR_MODULE_LOAD_FAILED', message, options);
    this.specifier = specifier;
  }
}

/** A module given to the CLI exports no application under any of the names looked for. */
export class NoApplicationExport extends SwitchyardError {
  readonly specifier: string;
  constructor(specifier: string, looked: readonly string[], found: readonly string[], file = specifier) {
    super(
      'ERR_NO_APPLICATION',
      `${specifier} exports no application: looked for ${looked.map((n) => (n === 'default' ? 'export default' : `export const ${n}`)).join(', ')} ` +
        `(a function (scope, receive, send) => Promise<void>); it exports ${found.length ? found.join(', ') : 'nothing'}. ` +
        `Export one, or name the export to use: ${file}:myApp`,
    );
    this.specifier = specifier;
  }
}

/** A shell `receive()` saw no message within its timeout. */
export class ReceiveTimeout extends SwitchyardError {
  readonly channel: string;
  constructor(channel: string, timeoutMs: number) {
    super('ERR_RECEIVE_TIMEOUT', `no message on ${JSON.stringify(channel)} within ${timeoutMs} ms`);
    this.channel = channel;
  }
}

// ---------------------------------------------------------------- testing

/** A communicator waited longer than its timeout for an output. */
export class CommunicatorTimeout extends SwitchyardError {
  constructor(message: string) {
    super('ERR_COMMUNICATOR_TIMEOUT', message);
  }
}

/** A communicator got an output other than the one the test expected. */
export class UnexpectedOutput extends SwitchyardError {
  constructor(message: string) {
    super('ERR_UNEXPECTED_OUTPUT', message);
  }
}

// ---------------------------------------------------------------- optional dependencies

/**
 * A feature needs an optional peer dependency that is not installed: the
 * Redis layers need `redis` and `@msgpack/msgpack`, DTO validation
 * `class-validator` and `class-transformer`, JWT verification `jsonwebtoken`.
 * The message names the missing package, the feature, and the `npm install`
 * command that fixes it.
 */
export class MissingPeerDependency extends SwitchyardError {
  /** The package that could not be loaded. */
  readonly packageName: string;
  /** What needed it, e.g. `the Redis channel layers`. */
  readonly feature: string;
  /** The packages to install, space-separated. */
  readonly install: string;
  constructor(packageName: string, feature: string, install = packageName, options?: ErrorOptions) {
    super(
      'ERR_MISSING_PEER_DEPENDENCY',
      `the optional dependency ${JSON.stringify(packageName)} is not installed; it is needed for ${feature}: npm install ${install}`,
      options,
    );
    this.packageName = packageName;
    this.feature = feature;
    this.install = install;
  }
}

// ---------------------------------------------------------------- mapping to the wire

/**
 * The HTTP status a handshake is refused with when `error` escapes an
 * application before accept: the error's own `status` when it is a
 * catalogue error that carries one (DenyConnection 403 or chosen,
 * RouteNotFound 404, AuthenticationFailed 401, OriginRejected 403,
 * ServerBusy 503, LayerUnavailable 503, InvalidHistoryPosition 400), otherwise 500.
 */
export function handshakeStatusOf(error: unknown): number {
  if (isSwitchyardError(error)) {
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status <= 599) return status;
  }
  return 500;
}
