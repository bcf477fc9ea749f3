/**
 * The JSON WebSocket consumer: frames are decoded to values and back, bad
 * frames are recoverable errors, and decorated actions route and validate
 * incoming messages.
 */
import { CloseCode } from '../close-codes';
import type { Event } from '../application';
import { InvalidJson, JsonLimitExceeded, UnknownAction, ValidationFailed, type LayerUnavailable, type SwitchyardError } from '../errors';
import type { AnyEventMap, EventMap } from '../layers/channel-layer';
import { validateDto } from './dto-validation';
import { encodeJsonOnce } from './json-encoding';
import { checkJsonLimits, resolveJsonLimits, type JsonLimits } from './json-limits';
import { reserveMethodsOf } from './handler-name';
import { readConsumerMetadata, type ActionRoute } from './metadata';
import { WebsocketConsumer } from './websocket-consumer';

/**
 * What the client gets for a recoverable error: `{type: 'error', code, detail, errors?}`.
 * `detail`, not `message`: chat clients written for Django Channels print the
 * `message` of every frame they get, and an error must not read as a chat line.
 */
export interface ErrorFrame {
  type: 'error';
  code: string;
  detail: string;
  errors?: Array<{ field: string; constraint: string; message: string }>;
}

/**
 * A WebSocket consumer that speaks JSON. Override `receiveJson(content)`, or
 * declare `@Action(name, Dto)` / `@DefaultAction(Dto)` methods and let the
 * default `receiveJson` route to them.
 *
 * Recoverable client errors get an error frame and the connection stays open:
 * - a non-JSON text frame or a binary frame: `ERR_INVALID_JSON` (or, with
 *   `static invalidJson = 'close'`, close 4400);
 * - a payload failing its DTO: `ERR_VALIDATION_FAILED` with `errors`
 *   `[{field, constraint, message}]` (nested fields dotted);
 * - an unknown or missing action: `ERR_UNKNOWN_ACTION`;
 * - a handler whose channel layer call failed because the backend is away:
 *   `ERR_LAYER_UNAVAILABLE` (override `onLayerUnavailable` to change it).
 * - a message past `static jsonLimits` (nesting depth, keys per object,
 *   array length, values in all): `ERR_JSON_LIMIT`, checked before any
 *   transformation or validation.
 *
 * @example
 * class Chat extends JsonWebsocketConsumer {
 *   @Action('send', SendDto)
 *   async sendMessage(dto: SendDto) { await this.sendJson({ echo: dto.text }); }
 * }
 */
export class JsonWebsocketConsumer<E extends EventMap = AnyEventMap> extends WebsocketConsumer<E> {
  /** What to do with a frame that is not JSON: send an error frame (default) or close with 4400. */
  static invalidJson: 'error' | 'close' = 'error';
  /** The field whose value selects the `@Action` handler. Default `'action'`. */
  static actionKey = 'action';
  /**
   * Bounds on each decoded message, checked before `receiveJson` (read once
   * per class; unset keys take the defaults: maxDepth 32, maxKeys 256,
   * maxArrayLength 4 096, maxValues 10 000). Set a key to Infinity to lift it.
   */
  static jsonLimits: Partial<JsonLimits> = {};

  /** Called with each decoded message. By default routes to the decorated actions, if any. */
  async receiveJson(content: unknown): Promise<void> {
    // Cached per class by readConsumerMetadata; not kept per instance (idle memory).
    const meta = readConsumerMetadata(this.constructor);
    if (!meta.routed) return;
    const key = (this.constructor as typeof JsonWebsocketConsumer).actionKey;
    const isObject = content !== null && typeof content === 'object' && !Array.isArray(content);
    let route: ActionRoute | null | undefined;
    if (isObject && key in (content as object)) {
      const action = (content as Record<string, unknown>)[key];
      route = typeof action === 'string' ? meta.actions.get(action) : undefined;
      if (!route) throw new UnknownAction(action, key);
    } else {
      route = meta.defaultAction;
      if (!route) throw new UnknownAction(undefined, key);
    }
    // `receive` checked jsonLimits already; an override calling this with other content gets them checked here.
    const payload = route.dto ? await validateDto(route.dto, content, limitsOf(this.constructor as typeof JsonWebsocketConsumer)) : content;
    await (this as unknown as Record<string, (payload: unknown, content: unknown) => Promise<unknown>>)[route.method](
      payload,
      content,
    );
  }

  /** Send `content` as a JSON text frame, then close (1000) if `close` is true. */
  sendJson(content: unknown, close = false): Promise<void> {
    // Not `async`: one promise less per frame (the fan-out path).
    let sent: Promise<void>;
    try {
      sent = this.send(this.encodeJson(content));
    } catch (error) {
      return Promise.reject(error);
    }
    return close ? sent.then(() => this.close()) : sent;
  }

  /**
   * Encode an outgoing message. Override for custom serialisation. The default
   * is `JSON.stringify`, computed once per process for a channel layer message
   * (or a part of one) that a handler forwards to every member of a group.
   */
  encodeJson(content: unknown): string {
    return encodeJsonOnce(content);
  }

  /** Decode an incoming text frame. Override for custom parsing; throw to reject the frame. */
  decodeJson(text: string): unknown {
    return JSON.parse(text);
  }

  /** Send an error frame for a recoverable client error. Override to change its shape. */
  async sendError(error: SwitchyardError): Promise<void> {
    const frame: ErrorFrame = { type: 'error', code: error.code, detail: error.message };
    if (error instanceof ValidationFailed) frame.errors = error.failures;
    await this.sendJson(frame);
  }

  /** After accept, tell the client with an `ERR_LAYER_UNAVAILABLE` error frame; the connection stays open. */
  protected override async onLayerUnavailable(error: LayerUnavailable, event: Event): Promise<void> {
    if (!this.accepted) return super.onLayerUnavailable(error, event);
    await this.sendError(error);
  }

  override async receive(text?: string, bytes?: Uint8Array): Promise<void> {
    let content: unknown;
    if (text === undefined) {
      return this.#invalidJson(new InvalidJson(`expected a text frame with JSON, got a ${bytes?.byteLength ?? 0}-byte binary frame`));
    }
    try {
      content = this.decodeJson(text);
    } catch (error) {
      return this.#invalidJson(new InvalidJson(`the frame is not valid JSON: ${(error as Error).message}`, { cause: error }));
    }
    try {
      checkJsonLimits(content, limitsOf(this.constructor as typeof JsonWebsocketConsumer));
      await this.receiveJson(content);
    } catch (error) {
      if (error instanceof ValidationFailed || error instanceof UnknownAction || error instanceof JsonLimitExceeded) {
        return this.sendError(error);
      }
      throw error;
    }
  }

  async #invalidJson(error: InvalidJson): Promise<void> {
    if ((this.constructor as typeof JsonWebsocketConsumer).invalidJson === 'close') {
      return this.close(CloseCode.INVALID_JSON, error.code);
    }
    return this.sendError(error);
  }
}

const resolvedLimits = new WeakMap<Function, Readonly<JsonLimits>>();

function limitsOf(ctor: typeof JsonWebsocketConsumer): Readonly<JsonLimits> {
  let limits = resolvedLimits.get(ctor);
  if (limits === undefined) {
    limits = resolveJsonLimits(ctor.jsonLimits, `${ctor.name}.jsonLimits`);
    resolvedLimits.set(ctor, limits);
  }
  return limits;
}

reserveMethodsOf(JsonWebsocketConsumer.prototype);
