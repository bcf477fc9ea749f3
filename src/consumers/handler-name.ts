/**
 * The one rule mapping an event type to a consumer method: split the type on
 * `.`, `_` and `-`, keep the first part, capitalise the first letter of each
 * later part, and join. `chat.message`, `chat_message` and `chat-message` all
 * map to `chatMessage`; `websocket.receive` maps to `websocketReceive`.
 *
 * Refused (PrivateHandler): a type starting with a separator (`_secret`,
 * `.x`), and any type that maps to a method of the consumer base classes
 * (`send`, `close`, `dispatch`, `receiveJson`, ...) or of Object.prototype,
 * so a channel layer message can never call internals. The protocol handlers
 * (`websocketConnect`, `websocketReceive`, `websocketDisconnect`,
 * `httpRequest`, `httpDisconnect`) are the exception.
 */
import { PrivateHandler } from '../errors';

type Camel<S extends string> = S extends `${infer H}.${infer T}`
  ? `${Camel<H>}${Capitalize<Camel<T>>}`
  : S extends `${infer H}_${infer T}`
    ? `${Camel<H>}${Capitalize<Camel<T>>}`
    : S extends `${infer H}-${infer T}`
      ? `${Camel<H>}${Capitalize<Camel<T>>}`
      : S;

/**
 * The handler name for an event type, at the type level (`never` for a type
 * the runtime refuses because it starts with a separator).
 *
 * @example
 * type H = HandlerName<'chat.message'>; // 'chatMessage'
 */
export type HandlerName<T extends string> = T extends `${'.' | '_' | '-'}${string}` | '' ? never : Camel<T>;

/** Protocol handlers: base-class methods that events are meant to reach. */
export const PROTOCOL_HANDLERS: ReadonlySet<string> = new Set([
  'websocketConnect',
  'websocketReceive',
  'websocketDisconnect',
  'httpRequest',
  'httpDisconnect',
]);

const reserved = new Set<string>(Object.getOwnPropertyNames(Object.prototype));
const cache = new Map<string, string>();
// Types come from channel layer messages; bound the cache so a flood of
// distinct types cannot grow it without limit.
const CACHE_LIMIT = 1024;

/**
 * Reserve the method names of a consumer base class prototype (called once
 * by each base class module). Protocol handlers stay dispatchable.
 */
export function reserveMethodsOf(prototype: object): void {
  for (const name of Object.getOwnPropertyNames(prototype)) {
    if (!PROTOCOL_HANDLERS.has(name)) reserved.add(name);
  }
  cache.clear();
}

/** True when `name` is reserved (a base-class or Object.prototype member). */
export function isReservedHandlerName(name: string): boolean {
  return reserved.has(name);
}

/** Applies the split-and-camelCase rule without any refusal check. */
export function camelizeEventType(type: string): string {
  let out = '';
  let upper = false;
  let start = 0;
  for (let i = 0; i <= type.length; i++) {
    const c = i < type.length ? type.charCodeAt(i) : -1;
    if (c === 46 /* . */ || c === 95 /* _ */ || c === 45 /* - */ || c === -1) {
      if (i > start) {
        const part = type.slice(start, i);
        out += upper ? part[0].toUpperCase() + part.slice(1) : part;
      }
      upper = out.length > 0;
      start = i + 1;
    }
  }
  return out;
}

/**
 * The handler method name for `type`, cached per type string.
 * Throws PrivateHandler for a refused type (see the module comment).
 *
 * @example
 * handlerNameOf('chat.message'); // 'chatMessage'
 * handlerNameOf('_internal');    // throws PrivateHandler
 */
export function handlerNameOf(type: string): string {
  const hit = cache.get(type);
  if (hit !== undefined) return hit;
  const first = type.charCodeAt(0);
  const name = camelizeEventType(type);
  if (type.length === 0 || first === 46 || first === 95 || first === 45 || name.length === 0 || reserved.has(name)) {
    throw new PrivateHandler(type, name);
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(type, name);
  return name;
}
