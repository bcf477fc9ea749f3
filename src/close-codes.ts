/**
 * WebSocket close codes Switchyard uses, with the situation each one means.
 * 1xxx are RFC 6455 codes; 4xxx are Switchyard's own application codes.
 */
export const CloseCode = {
  /** Normal closure (the default for `close()`). */
  NORMAL: 1000,
  /** The server is shutting down (graceful `close()`), or the page went away. */
  GOING_AWAY: 1001,
  /** The peer broke the WebSocket protocol (bad opcode, unmasked frame...). */
  PROTOCOL_ERROR: 1002,
  /** A frame of a kind the consumer does not accept (for example binary to a JSON consumer, when so configured). */
  UNSUPPORTED_DATA: 1003,
  /** No close frame was received (never sent on the wire; reported to `disconnect`). */
  ABNORMAL: 1006,
  /** A text frame that is not valid UTF-8. */
  INVALID_PAYLOAD: 1007,
  /** Policy violation: rate limit exceeded, or a peer that stopped answering pings. */
  POLICY_VIOLATION: 1008,
  /** A frame larger than `maxPayload`. */
  MESSAGE_TOO_BIG: 1009,
  /** The consumer threw: only its own connection is closed. */
  INTERNAL_ERROR: 1011,
  /** The server is restarting; try again later. */
  TRY_AGAIN_LATER: 1013,
  /** The client does not read: its outgoing buffer passed `maxBufferedBytes`. */
  SLOW_CONSUMER: 4008,
  /** Invalid JSON sent to a JSON consumer configured to close on it. */
  INVALID_JSON: 4400,
  /** An event type with no handler, on a consumer with `strictDispatch`. */
  NO_HANDLER: 4404,
} as const;

/** One of the close codes above (any other number is allowed on the wire too). */
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];
