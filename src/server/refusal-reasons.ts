/**
 * Why a handshake was refused, in words for a log line and as a short kind
 * (`origin`, `route`, `auth`, `denied`, `timeout`, `limits`, `shutdown`,
 * `invalid`, `error`) for counting. Messages are redacted: an auth error may
 * quote the token it refused.
 */
import { AuthenticationFailed, DenyConnection, OriginRejected, RateLimited, RouteNotFound, ServerBusy } from '../errors';
import { redactText } from '../logging/redact';

/** A refusal's category. */
export type RefusalKind = 'origin' | 'route' | 'auth' | 'denied' | 'timeout' | 'limits' | 'shutdown' | 'invalid' | 'error';

/** A refusal explained. */
export interface RefusalReason {
  kind: RefusalKind;
  /** One phrase: `origin: origin (missing) is not allowed`. */
  text: string;
  /** The error's code, when an error caused it. */
  code?: string;
}

/** The reason for a handshake an application refused by throwing `error`. */
export function refusalReasonOf(error: unknown): RefusalReason {
  const code = (error as { code?: unknown })?.code;
  const withCode = typeof code === 'string' ? { code } : {};
  const message = redactText(error instanceof Error ? error.message : String(error));
  if (error instanceof OriginRejected) return { kind: 'origin', text: `origin: ${message}`, ...withCode };
  if (error instanceof RouteNotFound) return { kind: 'route', text: `route not found: ${message}`, ...withCode };
  if (error instanceof AuthenticationFailed) return { kind: 'auth', text: `auth: ${message}`, ...withCode };
  if (error instanceof ServerBusy || error instanceof RateLimited) return { kind: 'limits', text: `over limits: ${message}`, ...withCode };
  if (error instanceof DenyConnection) {
    const reason = error.reason === '' ? '' : `: ${redactText(error.reason)}`;
    return { kind: 'denied', text: `denied by the application (DenyConnection ${error.status}${reason})`, ...withCode };
  }
  const name = error instanceof Error ? error.name : typeof error;
  return { kind: 'error', text: `the application failed before accepting (${name}: ${message})`, ...withCode };
}
