import { apiKeysApi, developersApi, me, type ApiKeysApi, type DevelopersApi } from './accounts';
import { auditApi, type AuditApi } from './audit';
import { secretsApi, type SecretsApi } from './secrets';
import { tasksApi, type TasksApi } from './tasks';
import { createTransport, type Document, type TransportOptions } from './transport';
import type { Developer } from './types';

/**
 * The typed locksmith client: `createClient({ url, token })`, then `client.secrets.create(...)`
 * etc. Results are plain typed objects; every failure is a LocksmithError with a `code`.
 */
export interface LocksmithClient {
  /** The GraphQL endpoint requests go to. */
  readonly endpoint: string;
  readonly secrets: SecretsApi;
  readonly apiKeys: ApiKeysApi;
  readonly developers: DevelopersApi;
  readonly audit: AuditApi;
  readonly tasks: TasksApi;
  /** The developer the token belongs to (an API key; the admin token gets FORBIDDEN). */
  me(): Promise<Developer>;
  /** Any other typed document (e.g. one generated from your own operations). */
  request<TResult, TVariables>(document: Document<TResult, TVariables>, variables: TVariables): Promise<TResult>;
}

export type ClientOptions = TransportOptions;

export function createClient(options: ClientOptions): LocksmithClient {
  const transport = createTransport(options);
  return {
    endpoint: transport.endpoint,
    secrets: secretsApi(transport),
    apiKeys: apiKeysApi(transport),
    developers: developersApi(transport),
    audit: auditApi(transport),
    tasks: tasksApi(transport),
    me: () => me(transport),
    request: async (document, variables) => (await transport.request(document, variables)).data,
  };
}

export { LocksmithError, isLocksmithError, type LocksmithErrorCode } from './errors';
export type { FetchLike, FetchResponse, TransportOptions, Document } from './transport';
export type { ApiKeysApi, DevelopersApi } from './accounts';
export type { SecretsApi } from './secrets';
export type { AuditApi } from './audit';
export type { TasksApi, TaskRun, TaskValidation, TaskProblem, RunTaskInput } from './tasks';
export type * from './types';
