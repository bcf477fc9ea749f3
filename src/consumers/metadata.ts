/**
 * Reads what the consumer decorators recorded, once per class (cached in a
 * WeakMap), walking the prototype chain so subclasses inherit and may
 * override actions.
 */
import { InvalidOption } from '../errors';
import { ACTION_HANDLERS, ACTION_METADATA } from './constants';
import type { ActionMetadata, DtoClass } from './decorators';

/** One routable action: the method to call and the DTO to validate into. */
export interface ActionRoute {
  method: string;
  dto: DtoClass | null;
}

/** Everything the decorators declared on a consumer class. */
export interface ConsumerMetadata {
  /** Discriminator value -> route. */
  actions: ReadonlyMap<string, ActionRoute>;
  /** The route for messages without a discriminator, if declared. */
  defaultAction: ActionRoute | null;
  /** True when any action (or a default action) is declared. */
  routed: boolean;
}

const cache = new WeakMap<Function, ConsumerMetadata>();

/**
 * The decorator metadata of `consumerClass`, collected on first call and
 * cached. A subclass's declaration of an action (or default action) replaces
 * the inherited one. Throws InvalidOption when one class declares the same
 * action twice.
 */
export function readConsumerMetadata(consumerClass: Function): ConsumerMetadata {
  const hit = cache.get(consumerClass);
  if (hit) return hit;
  const chain: object[] = [];
  for (let proto = consumerClass.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    chain.unshift(proto); // base first, so subclasses override
  }
  const actions = new Map<string, ActionRoute>();
  let defaultAction: ActionRoute | null = null;
  for (const proto of chain) {
    if (!Object.prototype.hasOwnProperty.call(proto, ACTION_HANDLERS)) continue;
    const declared = proto as { [ACTION_HANDLERS]: string[]; [ACTION_METADATA]: Record<string, ActionMetadata> };
    const seen = new Set<string>();
    let ownDefault: string | null = null;
    for (const method of declared[ACTION_HANDLERS]) {
      const meta = declared[ACTION_METADATA][method]!;
      const route = { method, dto: meta.dto };
      if (meta.action === null) {
        if (ownDefault !== null) {
          throw new InvalidOption(
            `${consumerClass.name} declares @DefaultAction on both ${ownDefault}() and ${method}(); keep one`,
          );
        }
        ownDefault = method;
        defaultAction = route;
      } else {
        if (seen.has(meta.action)) {
          throw new InvalidOption(
            `${consumerClass.name} declares @Action(${JSON.stringify(meta.action)}) twice (again on ${method}()); action names must be unique`,
          );
        }
        seen.add(meta.action);
        actions.set(meta.action, route);
      }
    }
  }
  const result: ConsumerMetadata = { actions, defaultAction, routed: actions.size > 0 || defaultAction !== null };
  cache.set(consumerClass, result);
  return result;
}
