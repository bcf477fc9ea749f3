/**
 * Optional peer dependencies (redis, jsonwebtoken, class-validator,
 * class-transformer) are loaded by the code that first needs them, never by
 * importing the package: a user without Redis or JWTs does not install them,
 * and `require('switchyard-channels')` stays fast.
 */
import { MissingPeerDependency } from './errors';

/**
 * `require(name)` for `feature`. Throws MissingPeerDependency naming
 * `install` (default `name`) when the package itself is not installed; any
 * other failure while loading it propagates unchanged.
 *
 * @example
 * const jwt = requirePeer<typeof import('jsonwebtoken')>('jsonwebtoken', 'JWT verification');
 */
export function requirePeer<T>(name: string, feature: string, install = name): T {
  try {
    return require(name) as T;
  } catch (error) {
    if (isMissing(error, name)) throw new MissingPeerDependency(name, feature, install, { cause: error });
    throw error;
  }
}

/** The package itself is missing, not something it requires in turn. */
function isMissing(error: unknown, name: string): boolean {
  const e = error as { code?: string; message?: string } | null;
  return e?.code === 'MODULE_NOT_FOUND' && typeof e.message === 'string' && e.message.startsWith(`Cannot find module '${name}'`);
}
