/**
 * `switchyard-channels/testing`: communicators that drive any application in-process,
 * playing the server's role without a network.
 */
export { ApplicationCommunicator } from './application-communicator';
export type { AppOutcome } from './application-communicator';
export { WebsocketCommunicator } from './websocket-communicator';
export type { WebsocketCommunicatorOptions, ConnectResult, CloseInfo } from './websocket-communicator';
export { HttpCommunicator } from './http-communicator';
export type { HttpCommunicatorOptions, HttpResponse } from './http-communicator';
export { describeEvent, describeError } from './describe';
export { normalizeHeaders, splitPath } from './scope';
export type { HeadersInit, SplitPath } from './scope';
