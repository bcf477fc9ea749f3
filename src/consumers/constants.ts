/**
 * Keys the consumer decorators record under and the metadata reader reads.
 * Kept in one place so writer and reader cannot drift apart. They are symbols
 * on the decorated prototype (own, non-enumerable properties) rather than
 * reflect-metadata entries, so routing by `@Action` needs no polyfill.
 */

/** On a prototype: the method names decorated with `@Action`/`@DefaultAction`, in declaration order. */
export const ACTION_HANDLERS: unique symbol = Symbol('switchyard.consumer.actionHandlers');

/** On a prototype: method name -> the `ActionMetadata` recorded by `@Action` or `@DefaultAction`. */
export const ACTION_METADATA: unique symbol = Symbol('switchyard.consumer.action');
