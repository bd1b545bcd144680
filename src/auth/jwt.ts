import type { DeveloperService } from '../developers/service';
import { isScope, type Principal } from './principal';

/**
 * JWT bearer tokens from a trusted issuer (for browser frontends that sign users in elsewhere).
 * The token's developer claim names an existing developer; its `scope` claim (space-separated,
 * or an array in `scp`) grants locksmith scopes, unknown ones ignored. Keys come from the
 * issuer's JWKS (cached and refreshed by jose).
 */
export interface JwtConfig {
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly audience?: string;
  /** Claim holding the developer id. */
  readonly developerClaim: string;
}

type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });
let josePromise: Promise<Jose> | undefined;
// jose 6 is ESM-only; a dynamic import keeps this CommonJS build loading it lazily.
const loadJose = () => (josePromise ??= import('jose'));

export type JwtAuthenticator = (token: string) => Promise<Principal | null>;

export async function createJwtAuthenticator(config: JwtConfig, developers: DeveloperService): Promise<JwtAuthenticator> {
  const jose = await loadJose();
  const jwks = jose.createRemoteJWKSet(new URL(config.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
  return async (token) => {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jose.jwtVerify(token, jwks, {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: ['RS256', 'ES256', 'EdDSA', 'PS256'],
        clockTolerance: 5,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch {
      return null; // bad signature, wrong issuer/audience, expired: all just "not authenticated"
    }
    const developerId = payload[config.developerClaim];
    if (typeof developerId !== 'string' || !(await developers.get(developerId))) return null;
    const granted = typeof payload.scope === 'string' ? payload.scope.split(' ') : Array.isArray(payload.scp) ? payload.scp : [];
    return {
      kind: 'developer',
      developerId,
      actorId: `jwt:${String(payload.sub).slice(0, 59)}`,
      scopes: new Set(granted.filter((s): s is string => typeof s === 'string').filter(isScope)),
    };
  };
}

/** A JWT has three base64url parts; API keys and the admin token never do. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}
