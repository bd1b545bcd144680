/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type AuditFilter = {
  /** e.g. ["secret.reveal", "task.secret_use"] */
  actions?: Array<string> | null | undefined;
  secretName?: string | null | undefined;
  since?: string | null | undefined;
  until?: string | null | undefined;
};

export type CreateApiKeyInput = {
  expiresAt?: string | null | undefined;
  name: string;
  /** Defaults to every scope the calling key holds. */
  scopes?: Array<string> | null | undefined;
};

export type CreateDeveloperInput = {
  name: string;
};

export type CreateSecretInput = {
  /** The only hosts a task may send this secret, or anything derived from it, to (host names; *.example.com for any name below example.com). Empty: any host the server policy allows. */
  allowedHosts?: Array<string> | null | undefined;
  description?: string | null | undefined;
  expiresAt?: string | null | undefined;
  metadata?: unknown;
  name: string;
  rotateEveryDays?: number | null | undefined;
  value: string;
};

export type DeleteSecretInput = {
  /** Check-and-set: delete only if the current version is this one. */
  expectedVersion?: number | null | undefined;
  /** Purge now, with no recovery window. */
  force?: boolean | null | undefined;
  name: string;
  /** Days the secret stays restorable (0-30, default 7; 0 purges at once). */
  recoveryWindowDays?: number | null | undefined;
};

export type DestroySecretVersionInput = {
  /** Check-and-set on the secret's current version. */
  expectedVersion?: number | null | undefined;
  name: string;
  version: number;
};

export type RestoreSecretInput = {
  /** Check-and-set: restore only if the deleted secret is at this version. */
  expectedVersion?: number | null | undefined;
  name: string;
};

export type RevokeApiKeyInput = {
  id: string | number;
};

export type RollbackSecretInput = {
  /** Check-and-set: roll back only if the current version is this one. */
  expectedVersion?: number | null | undefined;
  name: string;
  /** The old version whose value becomes current (as a new version). */
  version: number;
};

export type RunTaskInput = {
  /** Available to expressions as `inputs`. */
  input?: unknown;
  /** The parsed task document, or its YAML/JSON text. */
  task: unknown;
};

export type SecretFilter = {
  /** true lists deleted secrets still in their recovery window. */
  deleted?: boolean | null | undefined;
  /** true lists secrets whose rotation is due or whose expiresAt has passed. */
  dueForRotation?: boolean | null | undefined;
  /** Secrets whose metadata has every given key with exactly the given value. */
  metadata?: unknown;
  namePrefix?: string | null | undefined;
};

/** Why a run or step failed. The three limits are hard: the run is stopped, whatever it was doing. */
export type TaskErrorCode =
  /** The task did not validate; see problems. */
  | 'TASK_INVALID'
  /** The run needed more memory (heap, string or collection size) than it may use. */
  | 'TASK_MEMORY_LIMIT'
  /** The server's network policy refused the destination; nothing was sent. */
  | 'TASK_NETWORK_POLICY'
  /** A response, step output or run output exceeded its size limit. */
  | 'TASK_OUTPUT_LIMIT'
  /** A secret, or data derived from it, would have gone to a host outside its allowedHosts; nothing was sent. */
  | 'TASK_SECRET_DENIED'
  /** Any other step failure (HTTP status, bad expression, ...). */
  | 'TASK_STEP_FAILED'
  /** A time or evaluation budget ran out (expression, step, run, or the hard wall-clock limit). */
  | 'TASK_TIME_LIMIT';

export type TaskRunStatus =
  | 'FAILED'
  | 'SUCCEEDED';

export type UpdateSecretInput = {
  /** The only hosts a task may send this secret, or anything derived from it, to (host names; *.example.com for any name below example.com). Empty: any host the server policy allows. Replaces the list; null or [] removes the binding. */
  allowedHosts?: Array<string> | null | undefined;
  /** null clears the description. */
  description?: string | null | undefined;
  /** Check-and-set: apply only if the current version is this one. */
  expectedVersion?: number | null | undefined;
  /** After this, revealing the value fails with SECRET_EXPIRED; null clears it. */
  expiresAt?: string | null | undefined;
  /** Replaces the whole metadata object. */
  metadata?: unknown;
  name: string;
  /** Rotation reminder cadence in days (1-3650); null turns it off. */
  rotateEveryDays?: number | null | undefined;
  value?: string | null | undefined;
};

export type ListApiKeysQueryVariables = Exact<{ [key: string]: never; }>;


export type ListApiKeysQuery = { me: { apiKeys: Array<{ id: string, name: string, prefix: string, scopes: Array<string>, createdAt: string, expiresAt: string | null, revokedAt: string | null, lastUsedAt: string | null }> } };

export type CreateApiKeyMutationVariables = Exact<{
  input: CreateApiKeyInput;
}>;


export type CreateApiKeyMutation = { createApiKey:
    | { __typename: 'CreateApiKeyPayload', apiKey: { token: string, apiKey: { id: string, name: string, prefix: string, scopes: Array<string>, createdAt: string, expiresAt: string | null, revokedAt: string | null, lastUsedAt: string | null } } }
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'KeyServiceUnavailableError', code: string, message: string }
    | { __typename: 'ValidationError', field: string, code: string, message: string }
   };

export type RevokeApiKeyMutationVariables = Exact<{
  input: RevokeApiKeyInput;
}>;


export type RevokeApiKeyMutation = { revokeApiKey:
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'KeyServiceUnavailableError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
    | { __typename: 'RevokeApiKeyPayload', apiKey: { id: string, name: string, prefix: string, scopes: Array<string>, createdAt: string, expiresAt: string | null, revokedAt: string | null, lastUsedAt: string | null } }
    | { __typename: 'ValidationError', field: string, code: string, message: string }
   };

export type AuditEventsQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  filter?: AuditFilter | null | undefined;
}>;


export type AuditEventsQuery = { auditEvents: { edges: Array<{ node: { id: string, chain: string, seq: number, action: string, secretName: string | null, version: number | null, actor: string | null, requestId: string | null, at: string, detail: unknown, prevHash: string, hash: string } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type VerifyAuditLogQueryVariables = Exact<{ [key: string]: never; }>;


export type VerifyAuditLogQuery = { verifyAuditLog: { ok: boolean, checkedEvents: number, checkedChains: number, firstBrokenChain: string | null, firstBrokenSeq: number | null, reason: string | null } };

export type MeQueryVariables = Exact<{ [key: string]: never; }>;


export type MeQuery = { me: { id: string, name: string, createdAt: string } };

export type CreateDeveloperMutationVariables = Exact<{
  input: CreateDeveloperInput;
}>;


export type CreateDeveloperMutation = { createDeveloper:
    | { __typename: 'CreateDeveloperPayload', developer: { id: string, name: string, createdAt: string }, apiKey: { token: string, apiKey: { id: string, name: string, prefix: string, scopes: Array<string>, createdAt: string, expiresAt: string | null, revokedAt: string | null, lastUsedAt: string | null } } }
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'KeyServiceUnavailableError', code: string, message: string }
    | { __typename: 'NameTakenError', name: string, code: string, message: string }
    | { __typename: 'ValidationError', field: string, code: string, message: string }
   };

export type SecretFieldsFragment = { id: string, name: string, description: string | null, metadata: unknown, version: number, createdAt: string, updatedAt: string, deletedAt: string | null, purgeAt: string | null, rotateEveryDays: number | null, rotationDueAt: string | null, expiresAt: string | null, valueChangedAt: string, lastRevealedAt: string | null, allowedHosts: Array<string> | null };

export type SecretVersionFieldsFragment = { version: number, createdAt: string, createdBy: string | null, destroyed: boolean, destroyedAt: string | null };

export type ApiKeyFieldsFragment = { id: string, name: string, prefix: string, scopes: Array<string>, createdAt: string, expiresAt: string | null, revokedAt: string | null, lastUsedAt: string | null };

export type DeveloperFieldsFragment = { id: string, name: string, createdAt: string };

export type PageInfoFieldsFragment = { hasNextPage: boolean, endCursor: string | null };

type ErrorFields_ForbiddenError_Fragment = { __typename: 'ForbiddenError', code: string, message: string };

type ErrorFields_KeyServiceUnavailableError_Fragment = { __typename: 'KeyServiceUnavailableError', code: string, message: string };

type ErrorFields_NameTakenError_Fragment = { __typename: 'NameTakenError', name: string, code: string, message: string };

type ErrorFields_NotFoundError_Fragment = { __typename: 'NotFoundError', code: string, message: string };

type ErrorFields_SecretExpiredError_Fragment = { __typename: 'SecretExpiredError', code: string, message: string };

type ErrorFields_ValidationError_Fragment = { __typename: 'ValidationError', field: string, code: string, message: string };

type ErrorFields_VersionConflictError_Fragment = { __typename: 'VersionConflictError', expectedVersion: number, currentVersion: number, code: string, message: string };

export type ErrorFieldsFragment =
  | ErrorFields_ForbiddenError_Fragment
  | ErrorFields_KeyServiceUnavailableError_Fragment
  | ErrorFields_NameTakenError_Fragment
  | ErrorFields_NotFoundError_Fragment
  | ErrorFields_SecretExpiredError_Fragment
  | ErrorFields_ValidationError_Fragment
  | ErrorFields_VersionConflictError_Fragment
;

export type GetSecretQueryVariables = Exact<{
  name: string;
}>;


export type GetSecretQuery = { secret: { id: string, name: string, description: string | null, metadata: unknown, version: number, createdAt: string, updatedAt: string, deletedAt: string | null, purgeAt: string | null, rotateEveryDays: number | null, rotationDueAt: string | null, expiresAt: string | null, valueChangedAt: string, lastRevealedAt: string | null, allowedHosts: Array<string> | null } | null };

export type RevealSecretQueryVariables = Exact<{
  name: string;
}>;


export type RevealSecretQuery = { secret: { value: string, id: string, name: string, description: string | null, metadata: unknown, version: number, createdAt: string, updatedAt: string, deletedAt: string | null, purgeAt: string | null, rotateEveryDays: number | null, rotationDueAt: string | null, expiresAt: string | null, valueChangedAt: string, lastRevealedAt: string | null, allowedHosts: Array<string> | null } | null };

export type RevealSecretVersionQueryVariables = Exact<{
  name: string;
  version: number;
}>;


export type RevealSecretVersionQuery = { secretVersion: { value: string, version: number, createdAt: string, createdBy: string | null, destroyed: boolean, destroyedAt: string | null } | null };

export type ListSecretsQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  filter?: SecretFilter | null | undefined;
}>;


export type ListSecretsQuery = { secrets: { edges: Array<{ node: { id: string, name: string, description: string | null, metadata: unknown, version: number, createdAt: string, updatedAt: string, deletedAt: string | null, purgeAt: string | null, rotateEveryDays: number | null, rotationDueAt: string | null, expiresAt: string | null, valueChangedAt: string, lastRevealedAt: string | null, allowedHosts: Array<string> | null } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type RevealSecretsQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  filter?: SecretFilter | null | undefined;
}>;


export type RevealSecretsQuery = { secrets: { edges: Array<{ node: { value: string, id: string, name: string, description: string | null, metadata: unknown, version: number, createdAt: string, updatedAt: string, deletedAt: string | null, purgeAt: string | null, rotateEveryDays: number | null, rotationDueAt: string | null, expiresAt: string | null, valueChangedAt: string, lastRevealedAt: string | null, allowedHosts: Array<string> | null } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type SecretHistoryQueryVariables = Exact<{
  name: string;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type SecretHistoryQuery = { secret: { name: string, version: number, versions: { edges: Array<{ node: { version: number, createdAt: string, createdBy: string | null, destroyed: boolean, destroyedAt: string | null } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } } | null };

export type CreateSecretMutationVariables = Exact<{
  input: CreateSecretInput;
}>;


export type CreateSecretMutation = { createSecret:
    | { __typename: 'CreateSecretPayload', secret: { id: string, name: string, description: string | null, metadata: unknown, version: number, createdAt: string, updatedAt: string, deletedAt: string | null, purgeAt: string | null, rotateEveryDays: number | null, rotationDueAt: string | null, expiresAt: string | null, valueChangedAt: string, lastRevealedAt: string | null, allowedHosts: Array<string> | null } }
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'KeyServiceUnavailableError', code: string, message: string }
    | { __typename: 'NameTakenError', name: string, code: string, message: string }
    | { __typename: 'ValidationError', field: string, code: string, message: string }
   };

export type UpdateSecretMutationVariables = Exact<{
  input: UpdateSecretInput;
}>;


export type UpdateSecretMutation = { updateSecret:
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'KeyServiceUnavailableError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
    | { __typename: 'UpdateSecretPayload', secret: { id: string, name: string, description: string | null, metadata: unknown, version: number, createdAt: string, updatedAt: string, deletedAt: string | null, purgeAt: string | null, rotateEveryDays: number | null, rotationDueAt: string | null, expiresAt: string | null, valueChangedAt: string, lastRevealedAt: string | null, allowedHosts: Array<string> | null } }
    | { __typename: 'ValidationError', field: string, code: string, message: string }
    | { __typename: 'VersionConflictError', expectedVersion: number, currentVersion: number, code: string, message: string }
   };

export type DeleteSecretMutationVariables = Exact<{
  input: DeleteSecretInput;
}>;


export type DeleteSecretMutation = { deleteSecret:
    | { __typename: 'DeleteSecretPayload', secret: { id: string, name: string, description: string | null, metadata: unknown, version: number, createdAt: string, updatedAt: string, deletedAt: string | null, purgeAt: string | null, rotateEveryDays: number | null, rotationDueAt: string | null, expiresAt: string | null, valueChangedAt: string, lastRevealedAt: string | null, allowedHosts: Array<string> | null } }
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'KeyServiceUnavailableError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
    | { __typename: 'ValidationError', field: string, code: string, message: string }
    | { __typename: 'VersionConflictError', expectedVersion: number, currentVersion: number, code: string, message: string }
   };

export type RestoreSecretMutationVariables = Exact<{
  input: RestoreSecretInput;
}>;


export type RestoreSecretMutation = { restoreSecret:
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'KeyServiceUnavailableError', code: string, message: string }
    | { __typename: 'NameTakenError', name: string, code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
    | { __typename: 'RestoreSecretPayload', secret: { id: string, name: string, description: string | null, metadata: unknown, version: number, createdAt: string, updatedAt: string, deletedAt: string | null, purgeAt: string | null, rotateEveryDays: number | null, rotationDueAt: string | null, expiresAt: string | null, valueChangedAt: string, lastRevealedAt: string | null, allowedHosts: Array<string> | null } }
    | { __typename: 'ValidationError', field: string, code: string, message: string }
    | { __typename: 'VersionConflictError', expectedVersion: number, currentVersion: number, code: string, message: string }
   };

export type RollbackSecretMutationVariables = Exact<{
  input: RollbackSecretInput;
}>;


export type RollbackSecretMutation = { rollbackSecret:
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'KeyServiceUnavailableError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
    | { __typename: 'RollbackSecretPayload', secret: { id: string, name: string, description: string | null, metadata: unknown, version: number, createdAt: string, updatedAt: string, deletedAt: string | null, purgeAt: string | null, rotateEveryDays: number | null, rotationDueAt: string | null, expiresAt: string | null, valueChangedAt: string, lastRevealedAt: string | null, allowedHosts: Array<string> | null } }
    | { __typename: 'ValidationError', field: string, code: string, message: string }
    | { __typename: 'VersionConflictError', expectedVersion: number, currentVersion: number, code: string, message: string }
   };

export type DestroySecretVersionMutationVariables = Exact<{
  input: DestroySecretVersionInput;
}>;


export type DestroySecretVersionMutation = { destroySecretVersion:
    | { __typename: 'DestroySecretVersionPayload', version: { version: number, createdAt: string, createdBy: string | null, destroyed: boolean, destroyedAt: string | null } }
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'KeyServiceUnavailableError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
    | { __typename: 'ValidationError', field: string, code: string, message: string }
    | { __typename: 'VersionConflictError', expectedVersion: number, currentVersion: number, code: string, message: string }
   };

export type TaskProblemFieldsFragment = { message: string, path: string | null, line: number | null, column: number | null };

export type ValidateTaskQueryVariables = Exact<{
  task: unknown;
}>;


export type ValidateTaskQuery = { validateTask: { valid: boolean, secrets: Array<string>, problems: Array<{ message: string, path: string | null, line: number | null, column: number | null }>, warnings: Array<{ message: string, path: string | null, line: number | null, column: number | null }> } };

export type RunTaskMutationVariables = Exact<{
  input: RunTaskInput;
}>;


export type RunTaskMutation = { runTask:
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'KeyServiceUnavailableError', code: string, message: string }
    | { __typename: 'RunTaskPayload', run: { status: TaskRunStatus, error: string | null, errorCode: TaskErrorCode | null, usedSecrets: Array<string>, problems: Array<{ message: string, path: string | null, line: number | null, column: number | null }>, steps: Array<{ index: number, kind: string, status: TaskRunStatus, output: unknown, error: string | null, errorCode: TaskErrorCode | null }> } }
    | { __typename: 'ValidationError', field: string, code: string, message: string }
   };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const SecretFieldsFragmentDoc = new TypedDocumentString(`
    fragment SecretFields on Secret {
  id
  name
  description
  metadata
  version
  createdAt
  updatedAt
  deletedAt
  purgeAt
  rotateEveryDays
  rotationDueAt
  expiresAt
  valueChangedAt
  lastRevealedAt
  allowedHosts
}
    `, {"fragmentName":"SecretFields"}) as unknown as TypedDocumentString<SecretFieldsFragment, unknown>;
export const SecretVersionFieldsFragmentDoc = new TypedDocumentString(`
    fragment SecretVersionFields on SecretVersion {
  version
  createdAt
  createdBy
  destroyed
  destroyedAt
}
    `, {"fragmentName":"SecretVersionFields"}) as unknown as TypedDocumentString<SecretVersionFieldsFragment, unknown>;
export const ApiKeyFieldsFragmentDoc = new TypedDocumentString(`
    fragment ApiKeyFields on ApiKey {
  id
  name
  prefix
  scopes
  createdAt
  expiresAt
  revokedAt
  lastUsedAt
}
    `, {"fragmentName":"ApiKeyFields"}) as unknown as TypedDocumentString<ApiKeyFieldsFragment, unknown>;
export const DeveloperFieldsFragmentDoc = new TypedDocumentString(`
    fragment DeveloperFields on Developer {
  id
  name
  createdAt
}
    `, {"fragmentName":"DeveloperFields"}) as unknown as TypedDocumentString<DeveloperFieldsFragment, unknown>;
export const PageInfoFieldsFragmentDoc = new TypedDocumentString(`
    fragment PageInfoFields on PageInfo {
  hasNextPage
  endCursor
}
    `, {"fragmentName":"PageInfoFields"}) as unknown as TypedDocumentString<PageInfoFieldsFragment, unknown>;
export const ErrorFieldsFragmentDoc = new TypedDocumentString(`
    fragment ErrorFields on Error {
  __typename
  code
  message
  ... on ValidationError {
    field
  }
  ... on NameTakenError {
    name
  }
  ... on VersionConflictError {
    expectedVersion
    currentVersion
  }
}
    `, {"fragmentName":"ErrorFields"}) as unknown as TypedDocumentString<ErrorFieldsFragment, unknown>;
export const TaskProblemFieldsFragmentDoc = new TypedDocumentString(`
    fragment TaskProblemFields on TaskProblem {
  message
  path
  line
  column
}
    `, {"fragmentName":"TaskProblemFields"}) as unknown as TypedDocumentString<TaskProblemFieldsFragment, unknown>;
export const ListApiKeysDocument = new TypedDocumentString(`
    query ListApiKeys {
  me {
    apiKeys {
      ...ApiKeyFields
    }
  }
}
    fragment ApiKeyFields on ApiKey {
  id
  name
  prefix
  scopes
  createdAt
  expiresAt
  revokedAt
  lastUsedAt
}`, {"hash":"sha256:0ddf42c36a1a105076b4fccd7ab3bcb940c5b618581befbc0c4329891bea85ca"}) as unknown as TypedDocumentString<ListApiKeysQuery, ListApiKeysQueryVariables>;
export const CreateApiKeyDocument = new TypedDocumentString(`
    mutation CreateApiKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) {
    __typename
    ... on CreateApiKeyPayload {
      apiKey {
        token
        apiKey {
          ...ApiKeyFields
        }
      }
    }
    ...ErrorFields
  }
}
    fragment ApiKeyFields on ApiKey {
  id
  name
  prefix
  scopes
  createdAt
  expiresAt
  revokedAt
  lastUsedAt
}
fragment ErrorFields on Error {
  __typename
  code
  message
  ... on ValidationError {
    field
  }
  ... on NameTakenError {
    name
  }
  ... on VersionConflictError {
    expectedVersion
    currentVersion
  }
}`, {"hash":"sha256:33ba1fab98868f4cf0b1f245d811b80f9f6256e0d9f342ab3985ab84c2d14666"}) as unknown as TypedDocumentString<CreateApiKeyMutation, CreateApiKeyMutationVariables>;
export const RevokeApiKeyDocument = new TypedDocumentString(`
    mutation RevokeApiKey($input: RevokeApiKeyInput!) {
  revokeApiKey(input: $input) {
    __typename
    ... on RevokeApiKeyPayload {
      apiKey {
        ...ApiKeyFields
      }
    }
    ...ErrorFields
  }
}
    fragment ApiKeyFields on ApiKey {
  id
  name
  prefix
  scopes
  createdAt
  expiresAt
  revokedAt
  lastUsedAt
}
fragment ErrorFields on Error {
  __typename
  code
  message
  ... on ValidationError {
    field
  }
  ... on NameTakenError {
    name
  }
  ... on VersionConflictError {
    expectedVersion
    currentVersion
  }
}`, {"hash":"sha256:2a2cd01f60ef37e37685174ed5476d02f6fe91f0c223dc90abef757d4d681377"}) as unknown as TypedDocumentString<RevokeApiKeyMutation, RevokeApiKeyMutationVariables>;
export const AuditEventsDocument = new TypedDocumentString(`
    query AuditEvents($first: Int, $after: String, $filter: AuditFilter) {
  auditEvents(first: $first, after: $after, filter: $filter) {
    edges {
      node {
        id
        chain
        seq
        action
        secretName
        version
        actor
        requestId
        at
        detail
        prevHash
        hash
      }
    }
    pageInfo {
      ...PageInfoFields
    }
  }
}
    fragment PageInfoFields on PageInfo {
  hasNextPage
  endCursor
}`, {"hash":"sha256:120e1ee1cd88ffa7c40057b3c8b027df9d119e1629c39866049056059c100cbd"}) as unknown as TypedDocumentString<AuditEventsQuery, AuditEventsQueryVariables>;
export const VerifyAuditLogDocument = new TypedDocumentString(`
    query VerifyAuditLog {
  verifyAuditLog {
    ok
    checkedEvents
    checkedChains
    firstBrokenChain
    firstBrokenSeq
    reason
  }
}
    `, {"hash":"sha256:d410e1eb48ca736e6810014bbea8836f8b3f0795d1f1a0d3c3f6cb58f392aa42"}) as unknown as TypedDocumentString<VerifyAuditLogQuery, VerifyAuditLogQueryVariables>;
export const MeDocument = new TypedDocumentString(`
    query Me {
  me {
    ...DeveloperFields
  }
}
    fragment DeveloperFields on Developer {
  id
  name
  createdAt
}`, {"hash":"sha256:0b69423ed1516dc92f409f64d9d53935a5491e59be734ec3635979364a84ac1c"}) as unknown as TypedDocumentString<MeQuery, MeQueryVariables>;
export const CreateDeveloperDocument = new TypedDocumentString(`
    mutation CreateDeveloper($input: CreateDeveloperInput!) {
  createDeveloper(input: $input) {
    __typename
    ... on CreateDeveloperPayload {
      developer {
        ...DeveloperFields
      }
      apiKey {
        token
        apiKey {
          ...ApiKeyFields
        }
      }
    }
    ...ErrorFields
  }
}
    fragment ApiKeyFields on ApiKey {
  id
  name
  prefix
  scopes
  createdAt
  expiresAt
  revokedAt
  lastUsedAt
}
fragment DeveloperFields on Developer {
  id
  name
  createdAt
}
fragment ErrorFields on Error {
  __typename
  code
  message
  ... on ValidationError {
    field
  }
  ... on NameTakenError {
    name
  }
  ... on VersionConflictError {
    expectedVersion
    currentVersion
  }
}`, {"hash":"sha256:c18dfa5bc04012b5e2c52b30bc331384543bfbc207f4ebadb89a57d985fe2ddf"}) as unknown as TypedDocumentString<CreateDeveloperMutation, CreateDeveloperMutationVariables>;
export const GetSecretDocument = new TypedDocumentString(`
    query GetSecret($name: String!) {
  secret(name: $name) {
    ...SecretFields
  }
}
    fragment SecretFields on Secret {
  id
  name
  description
  metadata
  version
  createdAt
  updatedAt
  deletedAt
  purgeAt
  rotateEveryDays
  rotationDueAt
  expiresAt
  valueChangedAt
  lastRevealedAt
  allowedHosts
}`, {"hash":"sha256:3a0b76cc79e3dd020c79bc14d68dabb654bb6cecf2d3544c497458cd96d3fa74"}) as unknown as TypedDocumentString<GetSecretQuery, GetSecretQueryVariables>;
export const RevealSecretDocument = new TypedDocumentString(`
    query RevealSecret($name: String!) {
  secret(name: $name) {
    ...SecretFields
    value
  }
}
    fragment SecretFields on Secret {
  id
  name
  description
  metadata
  version
  createdAt
  updatedAt
  deletedAt
  purgeAt
  rotateEveryDays
  rotationDueAt
  expiresAt
  valueChangedAt
  lastRevealedAt
  allowedHosts
}`, {"hash":"sha256:f3b4c12187b51891cf037047d5912f294ef3949a91a63badf4f75b5a20a3a4d1"}) as unknown as TypedDocumentString<RevealSecretQuery, RevealSecretQueryVariables>;
export const RevealSecretVersionDocument = new TypedDocumentString(`
    query RevealSecretVersion($name: String!, $version: Int!) {
  secretVersion(name: $name, version: $version) {
    ...SecretVersionFields
    value
  }
}
    fragment SecretVersionFields on SecretVersion {
  version
  createdAt
  createdBy
  destroyed
  destroyedAt
}`, {"hash":"sha256:26de44fd65f28e90f4526e809d4f3fec0c5f3b31cf8fa2d791f70d565fe6c1e2"}) as unknown as TypedDocumentString<RevealSecretVersionQuery, RevealSecretVersionQueryVariables>;
export const ListSecretsDocument = new TypedDocumentString(`
    query ListSecrets($first: Int, $after: String, $filter: SecretFilter) {
  secrets(first: $first, after: $after, filter: $filter) {
    edges {
      node {
        ...SecretFields
      }
    }
    pageInfo {
      ...PageInfoFields
    }
  }
}
    fragment SecretFields on Secret {
  id
  name
  description
  metadata
  version
  createdAt
  updatedAt
  deletedAt
  purgeAt
  rotateEveryDays
  rotationDueAt
  expiresAt
  valueChangedAt
  lastRevealedAt
  allowedHosts
}
fragment PageInfoFields on PageInfo {
  hasNextPage
  endCursor
}`, {"hash":"sha256:2b59cc762aae3c7df72653cc47ca4880a7f34ee36927be1aa5b9645df42bcee1"}) as unknown as TypedDocumentString<ListSecretsQuery, ListSecretsQueryVariables>;
export const RevealSecretsDocument = new TypedDocumentString(`
    query RevealSecrets($first: Int, $after: String, $filter: SecretFilter) {
  secrets(first: $first, after: $after, filter: $filter) {
    edges {
      node {
        ...SecretFields
        value
      }
    }
    pageInfo {
      ...PageInfoFields
    }
  }
}
    fragment SecretFields on Secret {
  id
  name
  description
  metadata
  version
  createdAt
  updatedAt
  deletedAt
  purgeAt
  rotateEveryDays
  rotationDueAt
  expiresAt
  valueChangedAt
  lastRevealedAt
  allowedHosts
}
fragment PageInfoFields on PageInfo {
  hasNextPage
  endCursor
}`, {"hash":"sha256:2365f7faef5f34e05c2a2b311d4f13d951022d9b259444827d9bc765cf829153"}) as unknown as TypedDocumentString<RevealSecretsQuery, RevealSecretsQueryVariables>;
export const SecretHistoryDocument = new TypedDocumentString(`
    query SecretHistory($name: String!, $first: Int, $after: String) {
  secret(name: $name) {
    name
    version
    versions(first: $first, after: $after) {
      edges {
        node {
          ...SecretVersionFields
        }
      }
      pageInfo {
        ...PageInfoFields
      }
    }
  }
}
    fragment SecretVersionFields on SecretVersion {
  version
  createdAt
  createdBy
  destroyed
  destroyedAt
}
fragment PageInfoFields on PageInfo {
  hasNextPage
  endCursor
}`, {"hash":"sha256:7e9a254f5efc507671c231533a2a139158e768d109784b5673a9ee1b1dd4a1cc"}) as unknown as TypedDocumentString<SecretHistoryQuery, SecretHistoryQueryVariables>;
export const CreateSecretDocument = new TypedDocumentString(`
    mutation CreateSecret($input: CreateSecretInput!) {
  createSecret(input: $input) {
    __typename
    ... on CreateSecretPayload {
      secret {
        ...SecretFields
      }
    }
    ...ErrorFields
  }
}
    fragment SecretFields on Secret {
  id
  name
  description
  metadata
  version
  createdAt
  updatedAt
  deletedAt
  purgeAt
  rotateEveryDays
  rotationDueAt
  expiresAt
  valueChangedAt
  lastRevealedAt
  allowedHosts
}
fragment ErrorFields on Error {
  __typename
  code
  message
  ... on ValidationError {
    field
  }
  ... on NameTakenError {
    name
  }
  ... on VersionConflictError {
    expectedVersion
    currentVersion
  }
}`, {"hash":"sha256:814f4cdc084f1902c811297dbaf3658c1094020dd1dc5e3ef887bd91c26efdaa"}) as unknown as TypedDocumentString<CreateSecretMutation, CreateSecretMutationVariables>;
export const UpdateSecretDocument = new TypedDocumentString(`
    mutation UpdateSecret($input: UpdateSecretInput!) {
  updateSecret(input: $input) {
    __typename
    ... on UpdateSecretPayload {
      secret {
        ...SecretFields
      }
    }
    ...ErrorFields
  }
}
    fragment SecretFields on Secret {
  id
  name
  description
  metadata
  version
  createdAt
  updatedAt
  deletedAt
  purgeAt
  rotateEveryDays
  rotationDueAt
  expiresAt
  valueChangedAt
  lastRevealedAt
  allowedHosts
}
fragment ErrorFields on Error {
  __typename
  code
  message
  ... on ValidationError {
    field
  }
  ... on NameTakenError {
    name
  }
  ... on VersionConflictError {
    expectedVersion
    currentVersion
  }
}`, {"hash":"sha256:980b8c696656b5fc6d8efa98fa1d38f489f4d184a9e56cdf6659a05653961630"}) as unknown as TypedDocumentString<UpdateSecretMutation, UpdateSecretMutationVariables>;
export const DeleteSecretDocument = new TypedDocumentString(`
    mutation DeleteSecret($input: DeleteSecretInput!) {
  deleteSecret(input: $input) {
    __typename
    ... on DeleteSecretPayload {
      secret {
        ...SecretFields
      }
    }
    ...ErrorFields
  }
}
    fragment SecretFields on Secret {
  id
  name
  description
  metadata
  version
  createdAt
  updatedAt
  deletedAt
  purgeAt
  rotateEveryDays
  rotationDueAt
  expiresAt
  valueChangedAt
  lastRevealedAt
  allowedHosts
}
fragment ErrorFields on Error {
  __typename
  code
  message
  ... on ValidationError {
    field
  }
  ... on NameTakenError {
    name
  }
  ... on VersionConflictError {
    expectedVersion
    currentVersion
  }
}`, {"hash":"sha256:e01fb3106446dd902ae38a7c36b08e2bc1c29e18400c33db562aed85cac1986d"}) as unknown as TypedDocumentString<DeleteSecretMutation, DeleteSecretMutationVariables>;
export const RestoreSecretDocument = new TypedDocumentString(`
    mutation RestoreSecret($input: RestoreSecretInput!) {
  restoreSecret(input: $input) {
    __typename
    ... on RestoreSecretPayload {
      secret {
        ...SecretFields
      }
    }
    ...ErrorFields
  }
}
    fragment SecretFields on Secret {
  id
  name
  description
  metadata
  version
  createdAt
  updatedAt
  deletedAt
  purgeAt
  rotateEveryDays
  rotationDueAt
  expiresAt
  valueChangedAt
  lastRevealedAt
  allowedHosts
}
fragment ErrorFields on Error {
  __typename
  code
  message
  ... on ValidationError {
    field
  }
  ... on NameTakenError {
    name
  }
  ... on VersionConflictError {
    expectedVersion
    currentVersion
  }
}`, {"hash":"sha256:5be1ba58e1570ef7e4bc2d00f92f30aed224f41be05ee0c59a72b902acc033a5"}) as unknown as TypedDocumentString<RestoreSecretMutation, RestoreSecretMutationVariables>;
export const RollbackSecretDocument = new TypedDocumentString(`
    mutation RollbackSecret($input: RollbackSecretInput!) {
  rollbackSecret(input: $input) {
    __typename
    ... on RollbackSecretPayload {
      secret {
        ...SecretFields
      }
    }
    ...ErrorFields
  }
}
    fragment SecretFields on Secret {
  id
  name
  description
  metadata
  version
  createdAt
  updatedAt
  deletedAt
  purgeAt
  rotateEveryDays
  rotationDueAt
  expiresAt
  valueChangedAt
  lastRevealedAt
  allowedHosts
}
fragment ErrorFields on Error {
  __typename
  code
  message
  ... on ValidationError {
    field
  }
  ... on NameTakenError {
    name
  }
  ... on VersionConflictError {
    expectedVersion
    currentVersion
  }
}`, {"hash":"sha256:5bd41309e0e31405342e694375c959a29bd25f35ae54f36808cdffef11f44a35"}) as unknown as TypedDocumentString<RollbackSecretMutation, RollbackSecretMutationVariables>;
export const DestroySecretVersionDocument = new TypedDocumentString(`
    mutation DestroySecretVersion($input: DestroySecretVersionInput!) {
  destroySecretVersion(input: $input) {
    __typename
    ... on DestroySecretVersionPayload {
      version {
        ...SecretVersionFields
      }
    }
    ...ErrorFields
  }
}
    fragment SecretVersionFields on SecretVersion {
  version
  createdAt
  createdBy
  destroyed
  destroyedAt
}
fragment ErrorFields on Error {
  __typename
  code
  message
  ... on ValidationError {
    field
  }
  ... on NameTakenError {
    name
  }
  ... on VersionConflictError {
    expectedVersion
    currentVersion
  }
}`, {"hash":"sha256:06719ffaf92bf997943ebaa7b9de324b0e23d90b10d96bf1fd4b3bda6f420bcc"}) as unknown as TypedDocumentString<DestroySecretVersionMutation, DestroySecretVersionMutationVariables>;
export const ValidateTaskDocument = new TypedDocumentString(`
    query ValidateTask($task: JSON!) {
  validateTask(task: $task) {
    valid
    secrets
    problems {
      ...TaskProblemFields
    }
    warnings {
      ...TaskProblemFields
    }
  }
}
    fragment TaskProblemFields on TaskProblem {
  message
  path
  line
  column
}`, {"hash":"sha256:0b18461490162e6db9b5e073252656136ffeaa5ac7b19f966e579823be00434c"}) as unknown as TypedDocumentString<ValidateTaskQuery, ValidateTaskQueryVariables>;
export const RunTaskDocument = new TypedDocumentString(`
    mutation RunTask($input: RunTaskInput!) {
  runTask(input: $input) {
    __typename
    ... on RunTaskPayload {
      run {
        status
        error
        errorCode
        usedSecrets
        problems {
          ...TaskProblemFields
        }
        steps {
          index
          kind
          status
          output
          error
          errorCode
        }
      }
    }
    ...ErrorFields
  }
}
    fragment ErrorFields on Error {
  __typename
  code
  message
  ... on ValidationError {
    field
  }
  ... on NameTakenError {
    name
  }
  ... on VersionConflictError {
    expectedVersion
    currentVersion
  }
}
fragment TaskProblemFields on TaskProblem {
  message
  path
  line
  column
}`, {"hash":"sha256:b6e92c8ae384f0995ac7f73825963493ae8fe84685dd2a6e54c188ae5f4d6b00"}) as unknown as TypedDocumentString<RunTaskMutation, RunTaskMutationVariables>;