import { DATABASE_KINDS } from '../support/databases';
import { useTestApp } from '../support/test-app';

describe.each(DATABASE_KINDS)('smoke on %s', (kind) => {
  const t = useTestApp(kind);

  it('creates, lists, reveals and updates a secret', async () => {
    const dev = await t.createDeveloper();
    const created = await t.graphql(
      dev.token,
      `mutation { createSecret(input: { name: "openai_api_key", value: "sk-smoke-1", metadata: { env: "prod", n: 1 } }) {
        __typename ... on CreateSecretPayload { secret { name version } } } }`,
    );
    expect(created.body.data.createSecret).toEqual({ __typename: 'CreateSecretPayload', secret: { name: 'openai_api_key', version: 1 } });
    const updated = await t.graphql(
      dev.token,
      `mutation { updateSecret(input: { name: "openai_api_key", value: "sk-smoke-2", expectedVersion: 1 }) {
        __typename ... on UpdateSecretPayload { secret { version } } } }`,
    );
    expect(updated.body.data.updateSecret.secret.version).toBe(2);
    const listed = await t.graphql(dev.token, `{ secrets(filter: { metadata: { env: "prod" } }) { edges { node { name value } } } }`);
    expect(listed.body.data.secrets.edges).toEqual([{ node: { name: 'openai_api_key', value: 'sk-smoke-2' } }]);
    const none = await t.graphql(dev.token, `{ secrets(filter: { metadata: { n: "1" } }) { edges { node { name } } } }`);
    expect(none.body.data.secrets.edges).toEqual([]);
  });
});
