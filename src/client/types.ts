import type * as G from './generated/graphql';

/**
 * The client's public types: the generated operation types, with the JSON scalar narrowed to
 * what the server guarantees (flat metadata) so callers do not handle `unknown`.
 */

export type MetadataValue = string | number | boolean;
export type Metadata = Record<string, MetadataValue>;

type WithMetadata<T> = Omit<T, 'metadata'> & { metadata: Metadata };

/** A secret's metadata; never its value. */
export type Secret = WithMetadata<G.SecretFieldsFragment>;
export type RevealedSecret = Secret & { value: string };
export type SecretVersion = G.SecretVersionFieldsFragment;
export type RevealedSecretVersion = SecretVersion & { value: string };
export type ApiKey = G.ApiKeyFieldsFragment;
/** A new API key: `token` is shown this once. */
export type IssuedApiKey = { token: string; apiKey: ApiKey };
export type Developer = G.DeveloperFieldsFragment;

export type CreateSecretInput = Omit<G.CreateSecretInput, 'metadata'> & { metadata?: Metadata | null };
export type UpdateSecretInput = Omit<G.UpdateSecretInput, 'metadata'> & { metadata?: Metadata | null };
export type DeleteSecretInput = G.DeleteSecretInput;
export type RollbackSecretInput = G.RollbackSecretInput;
export type CreateApiKeyInput = G.CreateApiKeyInput;
export type SecretFilter = Omit<G.SecretFilter, 'metadata'> & { metadata?: Metadata | null };

export type AuditEvent = G.AuditEventsQuery['auditEvents']['edges'][number]['node'];
export type AuditVerification = G.VerifyAuditLogQuery['verifyAuditLog'];
export type AuditFilter = G.AuditFilter;

export interface Page<T> {
  readonly items: T[];
  readonly hasNextPage: boolean;
  /** Pass as `after` for the next page. */
  readonly endCursor: string | null;
}

export interface PageOptions {
  /** Page size (server default 50, at most 500). */
  readonly first?: number;
  readonly after?: string | null;
}

export interface ListSecretsOptions extends PageOptions {
  readonly filter?: SecretFilter;
}

export interface ListAuditEventsOptions extends PageOptions {
  readonly filter?: AuditFilter;
}
