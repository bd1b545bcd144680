import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed operations for the client (`npm run codegen`). Inputs: the committed SDL and the
 * documents in src/client/operations; output: src/client/generated (committed, so the client
 * builds and runs without codegen installed). tests/unit/codegen-fresh.test.ts fails when the
 * output is stale. Paths are relative to the repository root, where npm runs scripts.
 */
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['src/client/operations/*.graphql'],
  generates: {
    'src/client/generated/': {
      preset: 'client',
      presetConfig: {
        // The client returns plain objects; masking only helps component trees (React).
        fragmentMasking: false,
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
  },
  hooks: {},
};

export default config;
