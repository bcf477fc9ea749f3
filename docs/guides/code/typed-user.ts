import {
  AuthMiddlewareStack,
  JsonWebsocketConsumer,
  TokenAuthMiddleware,
  isAuthenticated,
  type Application,
} from 'switchyard-channels';
import type session from 'express-session';

/** What this app means by a user, wherever it comes from. */
export interface AppUser {
  id: string;
  name: string;
  admin: boolean;
}

/** The one place that decides whether a value is an AppUser. */
export function isAppUser(user: unknown): user is AppUser {
  if (!isAuthenticated(user)) return false;
  const candidate = user as Partial<Record<keyof AppUser, unknown>>;
  return typeof candidate.id === 'string' && typeof candidate.name === 'string' && typeof candidate.admin === 'boolean';
}

/** Sessions: the type parameter checks what `deserializeUser` returns. */
export function sessionAuth(inner: Application, store: session.Store, secret: string): Application {
  return AuthMiddlewareStack<AppUser>(inner, {
    store,
    secret,
    deserializeUser: (stored) => (isAppUser(stored) ? stored : null),
  });
}

/** Tokens: `toUser` maps the verified claims to an AppUser, checked by the compiler. */
export function tokenAuth(inner: Application, secret: string): Application {
  return TokenAuthMiddleware<AppUser>(inner, {
    secret,
    toUser: (claims) => ({ id: String(claims.sub), name: String(claims.name ?? claims.sub), admin: claims.admin === true }),
  });
}

/** A base class for the app's consumers: `this.user` is typed and checked once per connection. */
export abstract class AppConsumer extends JsonWebsocketConsumer {
  #user: AppUser | null | undefined;

  /** The connection's user, or null for an anonymous visitor (or a value that is not an AppUser). */
  get user(): AppUser | null {
    if (this.#user === undefined) this.#user = isAppUser(this.scope.user) ? this.scope.user : null;
    return this.#user;
  }
}

/** An example: only admins may connect. */
export class AdminConsumer extends AppConsumer {
  override async connect(): Promise<void> {
    if (!this.user?.admin) return this.deny(403, 'admins only');
    await this.accept();
    await this.sendJson({ hello: this.user.name });
  }
}
