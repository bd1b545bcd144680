import { unwrapResult, LocksmithError } from './errors';
import * as G from './generated/graphql';
import { paginate } from './paging';
import type { Transport } from './transport';
import type {
  CreateSecretInput,
  DeleteSecretInput,
  ListSecretsOptions,
  Metadata,
  Page,
  PageOptions,
  RevealedSecret,
  RevealedSecretVersion,
  RollbackSecretInput,
  Secret,
  SecretFilter,
  SecretVersion,
  UpdateSecretInput,
} from './types';

/**
 * Typed secret operations. Reads that return values (`reveal*`) are separate methods so code
 * that only needs names or metadata never receives a value (and never triggers a reveal audit).
 */
export interface SecretsApi {
  create(input: CreateSecretInput): Promise<Secret>;
  /** Metadata of a live secret; null when absent or deleted. */
  get(name: string): Promise<Secret | null>;
  /** Metadata and current value. NOT_FOUND when absent; needs secrets:reveal; audited. */
  reveal(name: string): Promise<RevealedSecret>;
  /** One old version's value. NOT_FOUND when the secret or version is absent. */
  revealVersion(name: string, version: number): Promise<RevealedSecretVersion>;
  /** One page, ordered by name. */
  list(options?: ListSecretsOptions): Promise<Page<Secret>>;
  /** Every matching secret, fetching pages as the loop advances. */
  listAll(options?: { filter?: SecretFilter; pageSize?: number }): AsyncIterableIterator<Secret>;
  /** Every matching secret with its value (each page is one request; every value read is audited). */
  revealAll(options?: { filter?: SecretFilter; pageSize?: number }): AsyncIterableIterator<RevealedSecret>;
  update(input: UpdateSecretInput): Promise<Secret>;
  /** Soft delete with a recovery window (default 7 days), or purge with `force`. */
  delete(input: DeleteSecretInput | string): Promise<Secret>;
  restore(name: string): Promise<Secret>;
  /** Makes an old version's value current again, as a new version. */
  rollback(input: RollbackSecretInput): Promise<Secret>;
  /** Erases one old version's value for good (its metadata stays in history). */
  destroyVersion(name: string, version: number): Promise<SecretVersion>;
  /** One page of versions, newest first. NOT_FOUND when the secret is absent. */
  history(name: string, options?: PageOptions): Promise<Page<SecretVersion>>;
  historyAll(name: string, options?: { pageSize?: number }): AsyncIterableIterator<SecretVersion>;
}

// The server guarantees flat metadata (docs/api.md, Rules for secrets); the JSON scalar is typed `unknown`.
const withMetadata = <T extends { metadata: unknown }>(node: T): Omit<T, 'metadata'> & { metadata: Metadata } =>
  node as Omit<T, 'metadata'> & { metadata: Metadata };

function notFound(name: string, version?: number): LocksmithError {
  return new LocksmithError(
    'NOT_FOUND',
    version === undefined ? `no secret named "${name}"` : `secret "${name}" has no version ${version}`,
  );
}

export function secretsApi(transport: Transport): SecretsApi {
  const listPage = async (options: ListSecretsOptions = {}): Promise<Page<Secret>> => {
    const { data } = await transport.request(G.ListSecretsDocument, {
      first: options.first,
      after: options.after,
      filter: options.filter,
    });
    return {
      items: data.secrets.edges.map((e) => withMetadata(e.node)),
      hasNextPage: data.secrets.pageInfo.hasNextPage,
      endCursor: data.secrets.pageInfo.endCursor,
    };
  };
  const historyPage = async (name: string, options: PageOptions = {}): Promise<Page<SecretVersion>> => {
    const { data } = await transport.request(G.SecretHistoryDocument, { name, first: options.first, after: options.after });
    if (!data.secret) throw notFound(name);
    const { edges, pageInfo } = data.secret.versions;
    return { items: edges.map((e) => e.node), hasNextPage: pageInfo.hasNextPage, endCursor: pageInfo.endCursor };
  };

  return {
    async create(input) {
      const { data, requestId } = await transport.request(G.CreateSecretDocument, { input });
      return withMetadata(unwrapResult(data.createSecret, 'CreateSecretPayload', requestId).secret);
    },
    async get(name) {
      const { data } = await transport.request(G.GetSecretDocument, { name });
      return data.secret ? withMetadata(data.secret) : null;
    },
    async reveal(name) {
      const { data } = await transport.request(G.RevealSecretDocument, { name });
      if (!data.secret) throw notFound(name);
      return withMetadata(data.secret);
    },
    async revealVersion(name, version) {
      const { data } = await transport.request(G.RevealSecretVersionDocument, { name, version });
      if (!data.secretVersion) throw notFound(name, version);
      return data.secretVersion;
    },
    list: listPage,
    listAll(options = {}) {
      return paginate((after) => listPage({ filter: options.filter, first: options.pageSize, after }));
    },
    revealAll(options = {}) {
      return paginate(async (after) => {
        const { data } = await transport.request(G.RevealSecretsDocument, {
          first: options.pageSize,
          after,
          filter: options.filter,
        });
        return {
          items: data.secrets.edges.map((e) => withMetadata(e.node)),
          hasNextPage: data.secrets.pageInfo.hasNextPage,
          endCursor: data.secrets.pageInfo.endCursor,
        };
      });
    },
    async update(input) {
      const { data, requestId } = await transport.request(G.UpdateSecretDocument, { input });
      return withMetadata(unwrapResult(data.updateSecret, 'UpdateSecretPayload', requestId).secret);
    },
    async delete(input) {
      const { data, requestId } = await transport.request(G.DeleteSecretDocument, {
        input: typeof input === 'string' ? { name: input } : input,
      });
      return withMetadata(unwrapResult(data.deleteSecret, 'DeleteSecretPayload', requestId).secret);
    },
    async restore(name) {
      const { data, requestId } = await transport.request(G.RestoreSecretDocument, { input: { name } });
      return withMetadata(unwrapResult(data.restoreSecret, 'RestoreSecretPayload', requestId).secret);
    },
    async rollback(input) {
      const { data, requestId } = await transport.request(G.RollbackSecretDocument, { input });
      return withMetadata(unwrapResult(data.rollbackSecret, 'RollbackSecretPayload', requestId).secret);
    },
    async destroyVersion(name, version) {
      const { data, requestId } = await transport.request(G.DestroySecretVersionDocument, { input: { name, version } });
      return unwrapResult(data.destroySecretVersion, 'DestroySecretVersionPayload', requestId).version;
    },
    history: historyPage,
    historyAll(name, options = {}) {
      return paginate((after) => historyPage(name, { first: options.pageSize, after }));
    },
  };
}
