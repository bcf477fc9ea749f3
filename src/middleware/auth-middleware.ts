/**
 * AuthMiddleware: `scope.user` from the session, plus `login` / `logout`
 * helpers and the usual cookies + session + auth stack.
 */
import type { Application, Scope } from '../application';
import { InvalidOption, MiddlewareOrderError } from '../errors';
import { AUTH_CONFIG } from '../symbols';
import { BaseMiddleware, type ScopeAdditions } from './base-middleware';
import { CookieMiddleware } from './cookie-middleware';
import { Session } from './scope-session';
import { SessionMiddleware, type SessionMiddlewareOptions } from './session-middleware';

/** The user of a connection nobody logged in on. */
export class AnonymousUser {
  readonly isAuthenticated = false as const;
  readonly isAnonymous = true as const;
}

/**
 * True for a real user: not null/undefined, not an AnonymousUser, and not an
 * object that says `isAuthenticated: false`.
 */
export function isAuthenticated(user: unknown): boolean {
  if (user === null || user === undefined || user instanceof AnonymousUser) return false;
  return (user as { isAuthenticated?: unknown }).isAuthenticated !== false;
}

/** Options of AuthMiddleware. */
export interface AuthMiddlewareOptions<U = unknown> {
  /**
   * Where the session keeps the user: a key, or a dotted path into nested
   * objects (`passport.user` reads what passport's serializeUser stored).
   * Default `user`.
   */
  sessionKey?: string;
  /** Turn the stored value into the user (e.g. load it by id); null/undefined means anonymous. Default: the stored value. */
  deserializeUser?: (stored: unknown, scope: Scope) => U | null | undefined | Promise<U | null | undefined>;
  /** What `login(scope, user)` stores (e.g. `user.id`). Default: the user itself (it must survive JSON). */
  serializeUser?: (user: U) => unknown | Promise<unknown>;
}

interface AuthConfig {
  path: string[];
  serializeUser: (user: any) => unknown | Promise<unknown>;
}

const DEFAULT_CONFIG: AuthConfig = { path: ['user'], serializeUser: (user) => user };

function parseSessionKey(sessionKey: unknown): string[] {
  if (typeof sessionKey !== 'string' || sessionKey === '') {
    throw new InvalidOption('AuthMiddleware: options.sessionKey must be a non-empty string such as "user" or "passport.user"');
  }
  const path = sessionKey.split('.');
  if (path.some((part) => part === '' || part === '__proto__' || part === 'constructor' || part === 'prototype')) {
    throw new InvalidOption(`AuthMiddleware: options.sessionKey ${JSON.stringify(sessionKey)} is not a valid dotted key`);
  }
  return path;
}

function readPath(data: Record<string, unknown>, path: string[]): unknown {
  let value: unknown = data;
  for (const part of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function writePath(data: Record<string, unknown>, path: string[], value: unknown): void {
  let target = data;
  for (let i = 0; i < path.length - 1; i++) {
    const next = Object.hasOwn(target, path[i]) ? target[path[i]] : undefined;
    if (next === null || typeof next !== 'object') target[path[i]] = {};
    target = target[path[i]] as Record<string, unknown>;
  }
  target[path[path.length - 1]] = value;
}

/** The scope's Session, or MiddlewareOrderError naming `helper` when SessionMiddleware is not outside it. */
function sessionOf(scope: Scope, helper: string): Session {
  const session = scope.session;
  if (!(session instanceof Session)) throw new MiddlewareOrderError(helper, 'SessionMiddleware', 'session');
  return session;
}

class AuthMiddlewareImpl extends BaseMiddleware {
  static override displayName = 'AuthMiddleware';
  readonly #config: AuthConfig;
  readonly #deserializeUser: AuthMiddlewareOptions['deserializeUser'];

  constructor(inner: Application, options: AuthMiddlewareOptions<any> = {}) {
    super(inner);
    const { sessionKey = 'user', deserializeUser, serializeUser = DEFAULT_CONFIG.serializeUser } = options;
    if (deserializeUser !== undefined && typeof deserializeUser !== 'function') {
      throw new InvalidOption('AuthMiddleware: options.deserializeUser must be a function (stored) => user | null');
    }
    if (typeof serializeUser !== 'function') {
      throw new InvalidOption('AuthMiddleware: options.serializeUser must be a function (user) => stored value');
    }
    this.#config = { path: parseSessionKey(sessionKey), serializeUser };
    this.#deserializeUser = deserializeUser;
  }

  protected override async extendScope(scope: Scope): Promise<ScopeAdditions> {
    const stored = readPath(sessionOf(scope, 'AuthMiddleware'), this.#config.path);
    let user: unknown = null;
    if (stored !== undefined && stored !== null) {
      user = this.#deserializeUser ? await this.#deserializeUser(stored, scope) : stored;
    }
    return { user: user ?? new AnonymousUser(), [AUTH_CONFIG]: this.#config };
  }
}

/**
 * Adds `scope.user`: the user the session names (through `deserializeUser`),
 * or an AnonymousUser. Needs SessionMiddleware (and CookieMiddleware) outside
 * it; AuthMiddlewareStack builds all three.
 *
 * @example
 * const app = CookieMiddleware(SessionMiddleware(AuthMiddleware(router, {
 *   sessionKey: 'passport.user',
 *   deserializeUser: (id) => users.findById(id as string),
 * }), { store, secret }));
 */
export function AuthMiddleware<U = unknown>(inner: Application, options?: AuthMiddlewareOptions<U>): Application {
  return new AuthMiddlewareImpl(inner, options).asApp();
}

/** Options of AuthMiddlewareStack: the session's and the auth middleware's. */
export interface AuthMiddlewareStackOptions<U = unknown> extends SessionMiddlewareOptions, AuthMiddlewareOptions<U> {}

/**
 * Cookies, session and auth in the right order:
 * `CookieMiddleware(SessionMiddleware(AuthMiddleware(inner)))`.
 *
 * @example
 * const store = new session.MemoryStore();
 * expressApp.use(session({ store, secret: process.env.SESSION_SECRET!, resave: false, saveUninitialized: false }));
 * const application = ProtocolTypeRouter({
 *   http: expressApp,
 *   websocket: AllowedHostsOriginValidator(
 *     AuthMiddlewareStack(URLRouter(routes), { store, secret: process.env.SESSION_SECRET! }),
 *     ['chat.example.com'],
 *   ),
 * });
 */
export function AuthMiddlewareStack<U = unknown>(inner: Application, options: AuthMiddlewareStackOptions<U>): Application {
  const { store, secret, name, ...auth } = options ?? ({} as AuthMiddlewareStackOptions<U>);
  return CookieMiddleware(SessionMiddleware(AuthMiddleware(inner, auth), { store, secret, name }));
}

/**
 * Log `user` in on this connection: store it (serialized) in the session,
 * save the session, and set `scope.user`. The HTTP side sees the login on its
 * next request with the same cookie. The session id is not rotated (a
 * WebSocket cannot set a cookie), so log in over HTTP when fixation matters.
 *
 * @example
 * async receiveJson({ name, password }) {
 *   const user = await users.check(name, password);
 *   if (user) await login(this.scope, user);
 * }
 */
export async function login(scope: Scope, user: unknown): Promise<void> {
  const session = sessionOf(scope, 'login()');
  if (user === null || user === undefined) {
    throw new InvalidOption('login(scope, user): user must be an object or id, not null/undefined; call logout(scope) to log out');
  }
  const config = (scope as unknown as Record<symbol, AuthConfig | undefined>)[AUTH_CONFIG] ?? DEFAULT_CONFIG;
  writePath(session, config.path, await config.serializeUser(user));
  await session.save();
  scope.user = user;
}

/**
 * Log out: clear every key of the session (keeping its id, so the HTTP side
 * sees the same, now empty, session), save it, and set `scope.user` to an
 * AnonymousUser.
 */
export async function logout(scope: Scope): Promise<void> {
  const session = sessionOf(scope, 'logout()');
  for (const key of Object.keys(session)) {
    if (key !== 'cookie') delete session[key];
  }
  await session.save();
  scope.user = new AnonymousUser();
}
