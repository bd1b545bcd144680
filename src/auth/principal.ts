/** Who is calling. Built once per request from the bearer token (src/auth/authenticate.ts). */

export const SCOPES = [
  'secrets:read', // names, metadata, history
  'secrets:reveal', // values
  'secrets:write',
  'tasks:run',
  'audit:read',
  'keys:manage', // API keys and data-key rotation
] as const;

export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

export type Principal =
  | { readonly kind: 'admin' }
  | {
      readonly kind: 'developer';
      readonly developerId: string;
      /** The API key (or JWT subject) acting; recorded as the audit actor. */
      readonly actorId: string;
      readonly scopes: ReadonlySet<Scope>;
    };

/** What services need to know about a caller acting for a tenant. */
export interface Actor {
  readonly developerId: string;
  readonly actorId: string;
  readonly requestId: string;
  /** The caller's own X-Request-Id, kept beside the server's in audit records. */
  readonly callerRequestId?: string | null;
}
