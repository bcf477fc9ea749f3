/** The dashboard token: generated when not given, compared in constant time. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh random token (24 bytes, base64url). */
export function generateToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Constant-time comparison (hashes first, so lengths do not leak either). */
export function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
