/**
 * Which query parameters and subprotocol markers carry tokens: the defaults,
 * plus every name a TokenAuthMiddleware is configured with (process-wide
 * configuration, not per-connection state). Middleware writes it, the
 * server's scope redaction reads it; neither imports the other.
 */

/** Query parameter names whose values are redacted. */
export const secretParams = new Set<string>(['token', 'access_token']);
/** Subprotocol entries after which the next entry (the token) is redacted. */
export const tokenMarkers = new Set<string>(['bearer']);

/** Also redact query parameter `param` and the subprotocol entry after `marker` (TokenAuthMiddleware calls this). */
export function redactTokenNames(param: string | false, marker: string | false): void {
  if (param !== false) secretParams.add(param);
  if (marker !== false) tokenMarkers.add(marker);
}
