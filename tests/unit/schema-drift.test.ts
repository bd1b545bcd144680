import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { printSchema } from 'graphql';
import { schema } from '../../src/schema';

describe('schema.graphql', () => {
  it('matches the schema built from the code (run `npm run schema:print` after changing it)', () => {
    const committed = readFileSync(join(__dirname, '..', '..', 'schema.graphql'), 'utf8');
    expect(committed).toBe(printSchema(schema) + '\n');
  });

  it('keeps the contract names of docs/api.md', () => {
    const sdl = printSchema(schema);
    for (const name of [
      'type Query',
      'me: Developer!',
      'secret(name: String!): Secret',
      'secrets(after: String, before: String, filter: SecretFilter, first: Int, last: Int): SecretConnection!',
      'type Secret implements Node',
      'value: String!',
      'interface Error',
      'union CreateSecretResult = CreateSecretPayload',
      'union UpdateSecretResult',
      'union DeleteSecretResult',
      'union RestoreSecretResult',
      'union CreateApiKeyResult',
      'union RevokeApiKeyResult',
      'union CreateDeveloperResult',
      'type SecretConnection',
      'type SecretVersionConnection',
      'input SecretFilter',
    ]) {
      expect(sdl).toContain(name);
    }
  });
});
