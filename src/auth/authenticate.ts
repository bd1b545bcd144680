import type { ApiKeyService } from '../api-keys/service';
import { type JwtAuthenticator, looksLikeJwt } from './jwt';
import type { Principal } from './principal';
import { API_KEY_PREFIX, constantTimeEqualTo } from './tokens';

export type Authenticator = (authorization: string | null) => Promise<Principal | null>;

/** Bearer token -> principal: the admin token, an API key, or (if configured) a JWT. Null: not authenticated. */
export function createAuthenticator(deps: {
  adminToken: string | undefined;
  apiKeys: ApiKeyService;
  jwt?: JwtAuthenticator;
}): Authenticator {
  // The admin token's digest once, not on every request.
  const isAdminToken = deps.adminToken ? constantTimeEqualTo(deps.adminToken) : () => false;
  return async (authorization) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const token = match?.[1];
    if (!token || token.length > 8192) return null;
    if (isAdminToken(token)) return { kind: 'admin' };
    if (token.startsWith(API_KEY_PREFIX)) return token.length > 512 ? null : deps.apiKeys.authenticate(token);
    if (deps.jwt && looksLikeJwt(token)) return deps.jwt(token);
    return null;
  };
}
