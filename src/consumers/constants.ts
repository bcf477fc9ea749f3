/**
 * Metadata keys written by the consumer decorators and read by the metadata
 * reader. Kept in one place so writer and reader cannot drift apart.
 */

/** On a prototype: the method names decorated with `@Action`/`@DefaultAction`, in declaration order. */
export const ACTION_HANDLERS = 'switchyard:consumer:action-handlers';

/** On a prototype method: the `ActionMetadata` recorded by `@Action` or `@DefaultAction`. */
export const ACTION_METADATA = 'switchyard:consumer:action';
