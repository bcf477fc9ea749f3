/**
 * Consumers: the generic, WebSocket, JSON and HTTP consumer classes, the
 * event-type-to-handler rule, and the action decorators with their reader.
 */
export { AsyncConsumer } from './async-consumer';
export type { ConsumerLogger, GroupJoin, GroupJoinOptions } from './async-consumer';
export { sinceFromQuery } from './history-since';
export { WebsocketConsumer } from './websocket-consumer';
export type { AcceptHeaders } from './websocket-consumer';
export { JsonWebsocketConsumer } from './json-websocket-consumer';
export type { ErrorFrame } from './json-websocket-consumer';
export { AsyncHttpConsumer } from './http-consumer';
export type { ResponseHeaders } from './http-consumer';
export { handlerNameOf, camelizeEventType, isReservedHandlerName, PROTOCOL_HANDLERS } from './handler-name';
export type { HandlerName } from './handler-name';
export type { EventHandlers, EventOf } from './event-handlers';
export { Action, DefaultAction } from './decorators';
export type { ActionMetadata, DtoClass } from './decorators';
export { readConsumerMetadata } from './metadata';
export type { ActionRoute, ConsumerMetadata } from './metadata';
export { checkJsonLimits, JSON_LIMIT_DEFAULTS } from './json-limits';
export type { JsonLimits } from './json-limits';
export { validateDto, flattenValidationErrors, DTO_VALIDATOR_OPTIONS } from './dto-validation';
export type { ValidationErrorLike } from './dto-validation';
export { ACTION_HANDLERS, ACTION_METADATA } from './constants';
