import { unwrapResult } from './errors';
import * as G from './generated/graphql';
import type { Transport } from './transport';
import type { ApiKey, CreateApiKeyInput, Developer, IssuedApiKey } from './types';

/** API keys of the calling developer (needs keys:manage). */
export interface ApiKeysApi {
  /** The token is in the result this once; scopes default to the calling key's. */
  create(input: CreateApiKeyInput): Promise<IssuedApiKey>;
  /** Newest first, revoked ones included. */
  list(): Promise<ApiKey[]>;
  revoke(id: string): Promise<ApiKey>;
}

/** Tenants; needs the admin token. */
export interface DevelopersApi {
  /** A new developer and its first API key, with every scope. */
  create(name: string): Promise<{ developer: Developer; apiKey: IssuedApiKey }>;
}

export function apiKeysApi(transport: Transport): ApiKeysApi {
  return {
    async create(input) {
      const { data, requestId } = await transport.request(G.CreateApiKeyDocument, { input });
      return unwrapResult(data.createApiKey, 'CreateApiKeyPayload', requestId).apiKey;
    },
    async list() {
      const { data } = await transport.request(G.ListApiKeysDocument, {});
      return data.me.apiKeys;
    },
    async revoke(id) {
      const { data, requestId } = await transport.request(G.RevokeApiKeyDocument, { input: { id } });
      return unwrapResult(data.revokeApiKey, 'RevokeApiKeyPayload', requestId).apiKey;
    },
  };
}

export function developersApi(transport: Transport): DevelopersApi {
  return {
    async create(name) {
      const { data, requestId } = await transport.request(G.CreateDeveloperDocument, { input: { name } });
      const { developer, apiKey } = unwrapResult(data.createDeveloper, 'CreateDeveloperPayload', requestId);
      return { developer, apiKey };
    },
  };
}

export async function me(transport: Transport): Promise<Developer> {
  const { data } = await transport.request(G.MeDocument, {});
  return data.me;
}
