import type { ApiKeyService } from '../api-keys/service';
import type { Principal } from './principal';
import { API_KEY_PREFIX, constantTimeEqual } from './tokens';

export type Authenticator = (authorization: string | null) => Promise<Principal | null>;

/** Bearer token -> principal: the admin token, or an API key. Null means "not authenticated". */
export function createAuthenticator(deps: { adminToken: string | undefined; apiKeys: ApiKeyService }): Authenticator {
  return async (authorization) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const token = match?.[1];
    if (!token || token.length > 512) return null;
    if (deps.adminToken && constantTimeEqual(token, deps.adminToken)) return { kind: 'admin' };
    if (token.startsWith(API_KEY_PREFIX)) return deps.apiKeys.authenticate(token);
    return null;
  };
}
