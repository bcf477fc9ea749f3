/**
 * Type-level checking of consumer handlers against an event map.
 */
import type { EventMap } from '../layers/channel-layer';
import type { HandlerName } from './handler-name';

/**
 * The handler methods an event map requires: for each type `K`, a method
 * named `HandlerName<K>` taking `{ type: K } & E[K]`. Declare it with
 * `implements` so a missing handler or a wrong payload type fails to compile.
 *
 * @example
 * type Events = { 'chat.message': { message: string; user: string } };
 * class Chat extends JsonWebsocketConsumer<Events> implements EventHandlers<Events> {
 *   async chatMessage(event: EventOf<Events, 'chat.message'>) { await this.sendJson(event); }
 * }
 */
export type EventHandlers<E extends EventMap> = {
  [K in keyof E & string as HandlerName<K>]: (event: { type: K } & E[K]) => unknown;
};

/** The event a handler for type `K` of map `E` receives: `{ type: K } & E[K]`. */
export type EventOf<E extends EventMap, K extends keyof E & string> = { type: K } & E[K];
