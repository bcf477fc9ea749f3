/**
 * The HTTP token grammar (RFC 9110 5.6.2): header names, subprotocol names.
 * Contract-level, so the server (handshake checks, raw responses) and
 * middleware (token subprotocols) share one copy without importing each other.
 */

/** A whole string that is one HTTP token. */
export const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
