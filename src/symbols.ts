/**
 * Every symbol Switchyard keys objects with, in one module, so a reader sees
 * at a glance which hidden slots exist and no two modules mint the same one.
 * Internal: none of these is part of the public API (the decorator keys are
 * re-exported by consumers/constants.ts for the metadata reader).
 */

/**
 * Marks a consumer class, so a router given the class itself builds its
 * application with the class's static `asApp()`. `Symbol.for`, so two copies
 * of the package (an ESM and a CommonJS one) still recognise each other's classes.
 */
export const CONSUMER_CLASS: unique symbol = Symbol.for('switchyard.consumerClass') as typeof CONSUMER_CLASS;

/** On a `receive` function: the inbox (EventQueue) it reads, so a consumer can take its events by push. */
export const INBOX: unique symbol = Symbol('switchyard.inbox');

/** Method key of a channel reader: a message pushed by the channel layer (see layers/channel-listener.ts). */
export const DELIVER: unique symbol = Symbol('switchyard.deliver');
/** Method key under which a layer starts push delivery to a reader. */
export const LISTEN: unique symbol = Symbol('switchyard.listen');
/** Method key under which a layer stops it. */
export const UNLISTEN: unique symbol = Symbol('switchyard.unlisten');
/** Method key of a membership watcher: its channel joined or left a group (see layers/membership-watch.ts). */
export const MEMBERSHIP: unique symbol = Symbol('switchyard.membership');

/** On a router: the Node `(req, res)` handler the server hands raw HTTP requests to. */
export const NODE_HTTP_HANDLER: unique symbol = Symbol('switchyard.nodeHttpHandler');
/** On a function marked by `nodeHandler()`: it is a Node `(req, res)` handler, not an application. */
export const NODE_HANDLER_MARK: unique symbol = Symbol('switchyard.nodeHandlerMark');
/** On a URLRouter application: lets an outer router see through it. */
export const URL_ROUTER: unique symbol = Symbol('switchyard.urlRouter');

/** On the upgrade request: what `websocket.accept` asked for, read by ws's hooks. */
export const ACCEPT_REQUEST: unique symbol = Symbol('switchyard.acceptRequest');
/** On a ws socket: its connection, so the frame listeners can be shared functions. */
export const CONNECTION: unique symbol = Symbol('switchyard.connection');

/** On a scope (copies keep symbol keys): the configuration of the AuthMiddleware it went through. */
export const AUTH_CONFIG: unique symbol = Symbol('switchyard.authConfig');
/** On a scope: the connection's metrics labels, present only while metrics are on. */
export const CONNECTION_TAG: unique symbol = Symbol('switchyard.connectionTag');
/** On a channel layer the registry handed out: its LayerStats. */
export const LAYER_STATS: unique symbol = Symbol('switchyard.layerStats');

/** On a prototype: the method names decorated with `@Action`/`@DefaultAction`, in declaration order. */
export const ACTION_HANDLERS: unique symbol = Symbol('switchyard.consumer.actionHandlers');
/** On a prototype: method name -> the `ActionMetadata` recorded by `@Action` or `@DefaultAction`. */
export const ACTION_METADATA: unique symbol = Symbol('switchyard.consumer.action');
