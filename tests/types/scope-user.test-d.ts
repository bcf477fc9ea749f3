/**
 * Type-level checks of the "typing scope.user" guide (docs/guides/code/typed-user.ts):
 * `scope.user` is unknown until narrowed, the guard narrows it, the
 * middleware's type parameter checks what deserializeUser/toUser return, and
 * the base consumer's `user` getter is typed.
 */
import { expectTypeOf } from 'expect-type';
import { AuthMiddlewareStack, TokenAuthMiddleware, type Application, type WebsocketScope } from 'switchyard-channels';
import { AdminConsumer, AppConsumer, isAppUser, type AppUser } from '../../docs/guides/code/typed-user';

declare const scope: WebsocketScope;
declare const inner: Application;
declare const store: import('express-session').Store;

expectTypeOf(scope.user).toBeUnknown();
// @ts-expect-error: unknown until narrowed
void scope.user.name;

const user = scope.user;
if (isAppUser(user)) {
  expectTypeOf(user).toEqualTypeOf<AppUser>();
  expectTypeOf(user.admin).toBeBoolean();
}

expectTypeOf<AppConsumer['user']>().toEqualTypeOf<AppUser | null>();
expectTypeOf<AdminConsumer['user']>().toEqualTypeOf<AppUser | null>();

// The type parameter checks what the middleware puts in scope.user.
AuthMiddlewareStack<AppUser>(inner, { store, secret: 's', deserializeUser: () => ({ id: '1', name: 'Ada', admin: false }) });
// @ts-expect-error: admin is missing
AuthMiddlewareStack<AppUser>(inner, { store, secret: 's', deserializeUser: () => ({ id: '1', name: 'Ada' }) });
TokenAuthMiddleware<AppUser>(inner, { secret: 's', toUser: (claims) => ({ id: String(claims.sub), name: 'x', admin: true }) });
// @ts-expect-error: id must be a string
TokenAuthMiddleware<AppUser>(inner, { secret: 's', toUser: () => ({ id: 1, name: 'x', admin: true }) });
