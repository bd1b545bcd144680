import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const API_KEY_PREFIX = 'lsk_';

/** 256 bits of randomness: unguessable, so a fast hash (not a password KDF) is the right store. */
export function generateApiKeyToken(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** What listings show: enough to tell keys apart, far too little to use. */
export function tokenPrefix(token: string): string {
  return token.slice(0, API_KEY_PREFIX.length + 6);
}

export function constantTimeEqual(a: string, b: string): boolean {
  return constantTimeEqualTo(b)(a);
}

/** A constant-time comparison with a fixed secret, whose digest is computed once. */
export function constantTimeEqualTo(secret: string): (candidate: string) => boolean {
  const expected = createHash('sha256').update(secret).digest();
  return (candidate) => timingSafeEqual(createHash('sha256').update(candidate).digest(), expected);
}
