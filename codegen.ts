import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed operations (`npm run codegen`), two targets from the committed SDL:
 * - the client and CLI: src/client/operations -> src/client/generated;
 * - the web console: web/src/operations (plus the client's shared fragments) -> web/src/gql.
 * Both outputs are committed, so nothing needs codegen at build or run time;
 * tests/unit/codegen-fresh.test.ts fails when either is stale. Paths are relative to the
 * repository root, where npm runs scripts.
 */
const config: CodegenConfig = {
  schema: 'schema.graphql',
  generates: {
    'src/client/generated/': {
      documents: ['src/client/operations/*.graphql'],
      preset: 'client',
      presetConfig: {
        // The client returns plain objects; masking only helps component trees (React).
        fragmentMasking: false,
        // Each document's sha256 (in its __meta__) and persisted-documents.json (hash -> text):
        // the client sends the hash, the server looks the text up (src/graphql/persisted.ts).
        persistedDocuments: true,
      },
      config: {
        // Documents as strings: the client POSTs them as-is, no graphql-js `print` at runtime.
        documentMode: 'string',
        useTypeImports: true,
        enumsAsTypes: true,
        strictScalars: true,
        // DateTime arrives as an ISO string over JSON; metadata is a flat JSON object.
        scalars: { DateTime: 'string', JSON: 'unknown' },
      },
    },
    'web/src/gql/': {
      documents: ['src/client/operations/fragments.graphql', 'web/src/operations/*.graphql'],
      preset: 'client',
      presetConfig: {
        fragmentMasking: false,
      },
      config: {
        // DocumentNode objects (urql's TypedDocumentNode): urql parses nothing at run time.
        useTypeImports: true,
        enumsAsTypes: true,
        strictScalars: true,
        scalars: { DateTime: 'string', JSON: 'unknown' },
      },
    },
  },
  hooks: {},
};

export default config;
