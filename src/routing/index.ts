/**
 * Routing: by protocol (`ProtocolTypeRouter`), by URL path (`URLRouter`,
 * `path`, `rePath`) and by channel name for workers (`ChannelNameRouter`).
 */
export { ProtocolTypeRouter, nodeHandler, NODE_HTTP_HANDLER, isNodeHttpHandler, nodeHttpHandlerOf } from './protocol-type-router';
export type { NodeHttpHandler, ExpressLike, ProtocolTypeRoutes, ProtocolTypeRouterApplication } from './protocol-type-router';
export { URLRouter, path, rePath, routeKwargs } from './url-router';
export type { Route, RouteApplication, RouteHandler, RouteOptions, ResolvedRoute, UrlRouterApplication } from './url-router';
export type { CompiledPattern, PatternMatch } from './patterns';
export { ChannelNameRouter } from './channel-name-router';
export type { ChannelNameRouterApplication } from './channel-name-router';
export { registerConverter, converterNames } from './converters';
export type { PathConverter } from './converters';
export type { ConverterValue, PathParams, RoutedScope } from './path-params';
