/**
 * Middleware: cookies, sessions shared with express-session, session and
 * token authentication, origin validation, rate limiting.
 */
export { BaseMiddleware, headersOf } from './base-middleware';
export type { ScopeAdditions } from './base-middleware';
export { CookieMiddleware, parseCookies } from './cookie-middleware';
export { Session } from './scope-session';
export type { SessionStore, StoredSession, SessionCookieData } from './scope-session';
export { SessionMiddleware, unsignSessionCookie } from './session-middleware';
export type { SessionMiddlewareOptions } from './session-middleware';
export { AuthMiddleware, AuthMiddlewareStack, AnonymousUser, isAuthenticated, login, logout } from './auth-middleware';
export type { AuthMiddlewareOptions, AuthMiddlewareStackOptions } from './auth-middleware';
export { TokenAuthMiddleware, extractToken } from './token-auth-middleware';
export type { TokenAuthOptions, TokenSource, ExtractedToken, JwtAlgorithm, JwtVerifyOptions, JwtClaims } from './token-auth-middleware';
export { OriginValidator, AllowedHostsOriginValidator, originMatcher, parseOrigin, DEV_ALLOWED_HOSTS } from './origin-validator';
export { RateLimitMiddleware, TokenBucket, RATE_LIMITED_FRAME } from './rate-limit';
export type { RateLimitOptions } from './rate-limit';
