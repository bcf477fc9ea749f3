/**
 * TokenAuthMiddleware: a bearer token (a JWT, or anything a verify function
 * accepts) from the Authorization header, a Sec-WebSocket-Protocol entry, or
 * a query parameter; the verified user goes into `scope.user`.
 */
import type { KeyObject } from 'node:crypto';
import type { Application, Event, Receive, Scope, Send } from '../application';
import { AuthenticationFailed, InvalidOption } from '../errors';
import { AnonymousUser } from './auth-middleware';
import { BaseMiddleware, headersOf } from './base-middleware';
import { redactTokenNames } from '../logging/redact';
import { HTTP_TOKEN } from '../http-token';
import { requirePeer } from '../peer-dependency';

/**
 * JWT signature algorithms, as jsonwebtoken names them (so its `Algorithm[]`
 * is assignable). `none` is in the type for that reason only: it is refused
 * with InvalidOption.
 */
export type JwtAlgorithm =
  | 'HS256' | 'HS384' | 'HS512'
  | 'RS256' | 'RS384' | 'RS512'
  | 'ES256' | 'ES384' | 'ES512'
  | 'PS256' | 'PS384' | 'PS512'
  | 'none';

/** The jsonwebtoken verify checks TokenAuthMiddleware passes through (see jsonwebtoken's `jwt.verify`). */
export interface JwtVerifyOptions {
  audience?: string | RegExp | Array<string | RegExp>;
  issuer?: string | string[];
  subject?: string;
  jwtid?: string;
  nonce?: string;
  /** Largest accepted token age: seconds, or a string such as `'2h'`. */
  maxAge?: string | number;
  /** Seconds of clock skew tolerated for `exp` and `nbf`. */
  clockTolerance?: number;
  ignoreExpiration?: boolean;
  ignoreNotBefore?: boolean;
  allowInvalidAsymmetricKeyTypes?: boolean;
}

/** The verified claims of a JWT. */
export interface JwtClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  [claim: string]: unknown;
}

/** The part of jsonwebtoken this module uses, loaded when a JWT key is configured. */
interface JsonWebToken {
  verify(token: string, key: string | Buffer | KeyObject, options: object): string | JwtClaims;
  TokenExpiredError: new (...args: never[]) => Error;
}

const JWT_ERRORS = new Set(['JsonWebTokenError', 'TokenExpiredError', 'NotBeforeError']);

/** Where a token was found. */
export type TokenSource = 'header' | 'subprotocol' | 'query';

/** Options of TokenAuthMiddleware. Give exactly one of `secret`, `publicKey`, `verify`. */
export interface TokenAuthOptions<U = unknown> {
  /** HMAC secret of JWTs (algorithms default to `['HS256']`). */
  secret?: string | Buffer;
  /** Public key of JWTs; `algorithms` is then required (e.g. `['RS256']`, `['ES256']`). */
  publicKey?: string | Buffer | KeyObject;
  /** Accepted JWT algorithms. `none` is never accepted. */
  algorithms?: JwtAlgorithm[];
  /** Further jsonwebtoken checks: `audience`, `issuer`, `subject`, `maxAge`, `clockTolerance`... */
  verifyOptions?: JwtVerifyOptions;
  /**
   * Verify a token yourself: return the user, or null/undefined/false to
   * reject it (401). Throwing AuthenticationFailed or a jsonwebtoken error
   * also rejects it; any other error propagates (500), so an outage of your
   * user store is not reported as a bad credential.
   */
  verify?: (token: string, scope: Scope) => U | null | undefined | false | Promise<U | null | undefined | false>;
  /** Turn verified JWT claims into `scope.user`. Default: the claims object. */
  toUser?: (claims: JwtClaims) => U | Promise<U>;
  /** Read `Authorization: Bearer <token>`. Default true. */
  header?: boolean;
  /**
   * The Sec-WebSocket-Protocol marker: the client offers `[marker, token]`
   * (browsers cannot set headers on a WebSocket). Default `bearer`; false to
   * disable. The token entry is removed from `scope.subprotocols` and is never
   * the accepted subprotocol.
   */
  subprotocol?: string | false;
  /**
   * Query parameter carrying the token. Default `token`; false to disable.
   * URLs end up in access logs, proxies and browser history: prefer the
   * subprotocol. The parameter is removed from `scope.queryString`.
   */
  queryParam?: string | false;
  /** Refuse (401) a connection without a token. Default true; when false it gets an AnonymousUser (or keeps `scope.user`). */
  required?: boolean;
  /** Clock for expiry checks, in ms. Default `Date.now`. */
  now?: () => number;
}

/** A token and the scope fields with it removed. */
export interface ExtractedToken {
  token: string | undefined;
  source: TokenSource | undefined;
  /** `scope.subprotocols` without the token entry (undefined when the scope has none). */
  subprotocols: string[] | undefined;
  /** `scope.queryString` without the token parameter. */
  queryString: string | undefined;
  /** The Authorization header was present with the Bearer scheme but no token. */
  malformed: boolean;
}

const BEARER = /^bearer[ \t]+([^\s]+)[ \t]*$/i;
const BEARER_SCHEME = /^bearer(?:[ \t]|$)/i;

function decodeQueryPart(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return part;
  }
}

/**
 * Find the token (header first, then subprotocol, then query) and strip it
 * from the subprotocols and query string wherever it appears.
 */
export function extractToken(
  scope: Scope,
  where: { header: boolean; subprotocol: string | false; queryParam: string | false },
): ExtractedToken {
  let token: string | undefined;
  let source: TokenSource | undefined;
  let malformed = false;

  if (where.header) {
    const authorization = headersOf(scope).authorization;
    if (authorization !== undefined && BEARER_SCHEME.test(authorization)) {
      const match = BEARER.exec(authorization);
      if (match) {
        token = match[1];
        source = 'header';
      } else {
        malformed = true;
      }
    }
  }

  let subprotocols = Array.isArray(scope.subprotocols) ? (scope.subprotocols as string[]) : undefined;
  if (subprotocols && where.subprotocol !== false) {
    const at = subprotocols.indexOf(where.subprotocol);
    if (at !== -1) {
      const offered = subprotocols[at + 1];
      if (offered === undefined) {
        if (token === undefined) malformed = true;
      } else {
        if (token === undefined && !malformed) {
          token = offered;
          source = 'subprotocol';
        }
        subprotocols = subprotocols.filter((_, i) => i !== at + 1);
      }
    }
  }

  let queryString = typeof scope.queryString === 'string' ? scope.queryString : undefined;
  if (queryString && where.queryParam !== false) {
    const param = where.queryParam;
    const parts = queryString.split('&');
    const kept: string[] = [];
    for (const part of parts) {
      const eq = part.indexOf('=');
      const name = decodeQueryPart(eq === -1 ? part : part.slice(0, eq));
      if (name !== param) {
        kept.push(part);
        continue;
      }
      if (token === undefined && !malformed && eq !== -1) {
        token = decodeQueryPart(part.slice(eq + 1));
        source = 'query';
      }
    }
    if (kept.length !== parts.length) queryString = kept.join('&');
  }

  if (token === '') {
    token = undefined;
    malformed = true;
  }
  return { token, source, subprotocols, queryString, malformed };
}

/** A jsonwebtoken error (JsonWebTokenError or its subclasses), told by name: a custom verify must not need jsonwebtoken installed. */
function isJwtError(error: unknown): boolean {
  return error instanceof Error && JWT_ERRORS.has(error.name);
}

class TokenAuthMiddlewareImpl extends BaseMiddleware {
  static override displayName = 'TokenAuthMiddleware';
  readonly #verify: (token: string, scope: Scope) => Promise<unknown>;
  readonly #where: { header: boolean; subprotocol: string | false; queryParam: string | false };
  readonly #required: boolean;

  constructor(inner: Application, options: TokenAuthOptions<any>) {
    super(inner);
    const o = options ?? {};
    const given = [o.secret, o.publicKey, o.verify].filter((x) => x !== undefined).length;
    if (given !== 1) {
      throw new InvalidOption('TokenAuthMiddleware: give exactly one of options.secret (HMAC JWT), options.publicKey (with options.algorithms) or options.verify (a function)');
    }
    const subprotocol = o.subprotocol ?? 'bearer';
    const queryParam = o.queryParam ?? 'token';
    if (subprotocol !== false && (typeof subprotocol !== 'string' || !HTTP_TOKEN.test(subprotocol))) {
      throw new InvalidOption('TokenAuthMiddleware: options.subprotocol must be false or a valid subprotocol token such as "bearer"');
    }
    if (queryParam !== false && (typeof queryParam !== 'string' || queryParam === '')) {
      throw new InvalidOption('TokenAuthMiddleware: options.queryParam must be false or a non-empty parameter name');
    }
    this.#where = { header: o.header ?? true, subprotocol, queryParam };
    // The server's error hooks get its own scope, which still holds the token: tell it where tokens are.
    redactTokenNames(queryParam, subprotocol);
    this.#required = o.required ?? true;

    if (o.verify !== undefined) {
      if (typeof o.verify !== 'function') throw new InvalidOption('TokenAuthMiddleware: options.verify must be a function (token, scope) => user | null');
      const verify = o.verify;
      this.#verify = async (token, scope) => {
        let user: unknown;
        try {
          user = await verify(token, scope);
        } catch (error) {
          if (error instanceof AuthenticationFailed) throw error;
          if (isJwtError(error)) throw new AuthenticationFailed(`token rejected: ${(error as Error).message}`, { cause: error });
          throw error;
        }
        if (user === null || user === undefined || user === false) throw new AuthenticationFailed('token rejected');
        return user;
      };
      return;
    }

    const key = o.secret ?? o.publicKey;
    const algorithms = o.algorithms ?? (o.secret !== undefined ? (['HS256'] as JwtAlgorithm[]) : undefined);
    if (!algorithms || algorithms.length === 0) {
      throw new InvalidOption('TokenAuthMiddleware: options.algorithms is required with options.publicKey, e.g. ["RS256"]');
    }
    if (algorithms.some((a) => String(a).toLowerCase() === 'none')) {
      throw new InvalidOption('TokenAuthMiddleware: options.algorithms must not include "none"');
    }
    const jwt = requirePeer<JsonWebToken>('jsonwebtoken', 'TokenAuthMiddleware with options.secret or options.publicKey (JWT verification; options.verify needs nothing)');
    const now = o.now ?? Date.now;
    const toUser = o.toUser ?? ((claims: JwtClaims) => claims);
    const verifyOptions = { ...o.verifyOptions, algorithms };
    this.#verify = async (token) => {
      let claims: string | JwtClaims;
      try {
        claims = jwt.verify(token, key as string | Buffer | KeyObject, { ...verifyOptions, clockTimestamp: Math.floor(now() / 1000) });
      } catch (error) {
        const reason = error instanceof jwt.TokenExpiredError ? 'token expired' : `token rejected: ${(error as Error).message}`;
        throw new AuthenticationFailed(reason, { cause: error });
      }
      if (typeof claims !== 'object' || claims === null) throw new AuthenticationFailed('token rejected: its payload is not a JSON object');
      return toUser(claims);
    };
  }

  override async call(scope: Scope, receive: Receive, send: Send): Promise<void> {
    const found = extractToken(scope, this.#where);
    if (found.malformed) throw new AuthenticationFailed('malformed bearer token');
    const stripped: Record<string, unknown> = {};
    if (found.subprotocols !== undefined && found.subprotocols !== scope.subprotocols) {
      stripped.subprotocols = found.subprotocols;
      // The raw header carries the token too; keep it out of the scope.
      const headers = headersOf(scope);
      if (headers['sec-websocket-protocol'] !== undefined) {
        stripped.headers = { ...headers, 'sec-websocket-protocol': found.subprotocols.join(', ') };
      }
    }
    if (found.queryString !== undefined) stripped.queryString = found.queryString;

    let user: unknown;
    if (found.token === undefined) {
      if (this.#required) throw new AuthenticationFailed(this.#missingMessage());
      user = scope.user ?? new AnonymousUser();
    } else {
      user = await this.#verify(found.token, scope);
    }
    const next = Object.assign({}, scope, stripped, { user }) as Scope;
    if (found.source !== 'subprotocol' || this.#where.subprotocol === false) return this.inner(next, receive, send);
    return this.inner(next, receive, acceptFixer(send, found.token as string, this.#where.subprotocol));
  }

  #missingMessage(): string {
    const places: string[] = [];
    if (this.#where.header) places.push('an "Authorization: Bearer <token>" header');
    if (this.#where.subprotocol !== false) places.push(`the subprotocols [${JSON.stringify(this.#where.subprotocol)}, <token>]`);
    if (this.#where.queryParam !== false) places.push(`the ${JSON.stringify(this.#where.queryParam)} query parameter`);
    return `a bearer token is required: send it in ${places.join(', or ')}`;
  }
}

/**
 * The client offered `[marker, token]`, so it must get one of its offers
 * back (browsers fail a handshake that offered subprotocols and got none),
 * and never the token itself: an accept without a subprotocol, or naming
 * the token, gets the marker.
 */
function acceptFixer(send: Send, token: string, marker: string): Send {
  let accepted = false;
  return (event: Event) => {
    if (accepted || event.type !== 'websocket.accept') return send(event);
    accepted = true;
    const chosen = event.subprotocol;
    if (chosen === undefined || chosen === null || chosen === token) return send({ ...event, subprotocol: marker });
    return send(event);
  };
}

/**
 * Authenticates a connection with a bearer token and puts the user (by
 * default the JWT claims) in `scope.user`. A missing (when required),
 * malformed, invalid or expired token refuses the handshake with 401
 * (AuthenticationFailed) before the inner application runs.
 *
 * Where the token may come from, in this order: `Authorization: Bearer <t>`,
 * the subprotocol entry after `bearer` (browser: `new WebSocket(url,
 * ['bearer', t])`), the `token` query parameter.
 *
 * @example
 * const app = TokenAuthMiddleware(URLRouter(routes), {
 *   secret: process.env.JWT_SECRET!,
 *   verifyOptions: { audience: 'chat' },
 *   queryParam: false, // keep tokens out of URLs and logs
 * });
 */
export function TokenAuthMiddleware<U = unknown>(inner: Application, options: TokenAuthOptions<U>): Application {
  return new TokenAuthMiddlewareImpl(inner, options).asApp();
}
