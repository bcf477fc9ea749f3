/**
 * Decorators for JSON consumers. They only record metadata (under the keys in
 * `constants.ts`); `metadata.ts` reads it once per class, and the JSON
 * consumer routes by it.
 */
import { ACTION_HANDLERS, ACTION_METADATA } from './constants';

/** A class whose instances a validated payload becomes (a class-validator DTO). */
export type DtoClass<T extends object = object> = new (...args: any[]) => T;

/** What `@Action` / `@DefaultAction` record on a method. */
export interface ActionMetadata {
  /** The discriminator value, or `null` for the default action. */
  action: string | null;
  /** The DTO class the payload is validated into, if any. */
  dto: DtoClass | null;
}

/** The value of an own property of `target`, or `fallback` when it has none (inherited ones belong to a base class). */
function own<T>(target: object, key: symbol, fallback: T): T {
  return Object.prototype.hasOwnProperty.call(target, key) ? (target as Record<symbol, T>)[key] : fallback;
}

function record(meta: ActionMetadata): MethodDecorator {
  return (target, propertyKey) => {
    if (typeof propertyKey !== 'string') {
      throw new TypeError('@Action and @DefaultAction decorate methods with string names, not symbols');
    }
    const handlers = own<string[]>(target, ACTION_HANDLERS, []);
    const metadata = own<Record<string, ActionMetadata>>(target, ACTION_METADATA, {});
    Object.defineProperty(target, ACTION_HANDLERS, { value: [...handlers, propertyKey], configurable: true });
    Object.defineProperty(target, ACTION_METADATA, { value: { ...metadata, [propertyKey]: meta }, configurable: true });
  };
}

/**
 * Route JSON messages whose discriminator field (the consumer's
 * `static actionKey`, default `action`) equals `name` to this method. With a
 * DTO class, the message is turned into a validated DTO instance first; the
 * method is called as `method(payload, content)`.
 *
 * @example
 * class Chat extends JsonWebsocketConsumer {
 *   @Action('send', SendMessageDto)
 *   async sendMessage(dto: SendMessageDto) { ... }
 * }
 */
export function Action(name: string, dto?: DtoClass): MethodDecorator {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`@Action(name) needs a non-empty string name, got ${JSON.stringify(name)}`);
  }
  return record({ action: name, dto: dto ?? null });
}

/**
 * Handle JSON messages that have no discriminator field (for example a
 * client sending `{"message": "hi"}`), optionally validated into `dto`.
 *
 * @example
 * class Chat extends JsonWebsocketConsumer {
 *   @DefaultAction(ChatMessageDto)
 *   async onMessage(dto: ChatMessageDto) { ... }
 * }
 */
export function DefaultAction(dto?: DtoClass): MethodDecorator {
  return record({ action: null, dto: dto ?? null });
}
