/**
 * Keys the consumer decorators record under and the metadata reader reads.
 * Kept in one place so writer and reader cannot drift apart. They are symbols
 * on the decorated prototype (own, non-enumerable properties) rather than
 * reflect-metadata entries, so routing by `@Action` needs no polyfill.
 */

export { ACTION_HANDLERS, ACTION_METADATA } from '../symbols';
