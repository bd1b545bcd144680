import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import clientDocuments from '../client/generated/persisted-documents.json';

/** The error a client gets for a hash this server does not know; it then sends the text. */
export const PERSISTED_QUERY_NOT_FOUND = 'PERSISTED_QUERY_NOT_FOUND';

/**
 * Persisted operations: the typed client and the CLI send the hash of their codegen documents
 * (`extensions.persistedQuery.sha256Hash`, as `npm run codegen` writes it into each document's
 * `__meta__`) instead of the document's text, and the server takes the text from the manifest
 * generated beside them (src/client/generated/persisted-documents.json). The known documents are
 * fixed when the server is built: nothing a request sends is stored, so no caller can grow this.
 * A request with a query text runs as before; an unknown hash is answered with
 * PERSISTED_QUERY_NOT_FOUND (a client of another build then sends the text).
 */
export function usePersistedOperations(documents: Readonly<Record<string, string>> = clientDocuments): Plugin {
  const known = new Map(Object.entries(documents));
  return {
    onParams({ params, setParams }) {
      if (params.query) return;
      const id = persistedId(params.extensions);
      if (id === undefined) return; // neither text nor hash: yoga answers as it always did
      const query = known.get(id);
      if (query === undefined) {
        throw new GraphQLError('PersistedQueryNotFound: send the query text', {
          extensions: { code: PERSISTED_QUERY_NOT_FOUND, http: { status: 400 } },
        });
      }
      setParams({ ...params, query });
    },
  };
}

export function persistedId(extensions: Record<string, unknown> | undefined): string | undefined {
  const persisted = extensions?.persistedQuery as { version?: unknown; sha256Hash?: unknown } | undefined;
  if (!persisted || typeof persisted !== 'object' || persisted.version !== 1) return undefined;
  const hash = persisted.sha256Hash;
  // Bounded before it is looked up: a manifest key is "sha256:" and 64 hex digits.
  return typeof hash === 'string' && hash.length <= 80 ? hash : undefined;
}
