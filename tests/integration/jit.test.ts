/**
 * graphql-jit for hot operations: an operation answers the same once it runs compiled as it did
 * interpreted (values, typed error members, masked errors, scope refusals and the audit record of
 * a refusal, an operation picked by name from a document of several), and a document that is
 * sent once is never compiled.
 */
import { DATABASE_KINDS } from '../support/databases';
import { createApiKey, createSecret, CREATE_SECRET } from '../support/integration';
import { useDeveloper, useTestApp } from '../support/test-app';

/** More runs than the compile threshold: the later answers come from the compiled query. */
const RUNS = 6;

describe.each(DATABASE_KINDS)('hot operations through graphql-jit on %s', (kind) => {
  const t = useTestApp(kind);
  const dev = useDeveloper(t, 'jit');

  beforeAll(async () => {
    await createSecret(t, dev.token, { name: 'jit_one', value: 'value-one', metadata: { env: 'prod' } });
    await createSecret(t, dev.token, { name: 'jit_two', value: 'value-two' });
  });

  const runs = async (token: string, query: string, variables?: Record<string, unknown>) => {
    const answers = [];
    for (let i = 0; i < RUNS; i++) {
      const { status, body } = await t.graphql(token, query, variables);
      answers.push({ status, body });
    }
    return answers;
  };
  const same = <T>(answers: T[]) => {
    for (const a of answers.slice(1)) expect(a).toEqual(answers[0]);
    return answers[0]!;
  };

  it('reveals, reads and lists the same compiled as interpreted', async () => {
    const reveal = same(await runs(dev.token, 'query($name: String!) { secret(name: $name) { value } }', { name: 'jit_one' }));
    expect(reveal.body).toEqual({ data: { secret: { value: 'value-one' } } });
    const missing = same(await runs(dev.token, 'query($name: String!) { secret(name: $name) { value } }', { name: 'jit_none' }));
    expect(missing.body).toEqual({ data: { secret: null } });
    const list = same(await runs(dev.token, '{ secrets(first: 5, filter: { metadata: { env: "prod" } }) { edges { node { name version metadata } } pageInfo { hasNextPage } } }'));
    expect(list.body.data.secrets.edges.map((e: { node: { name: string } }) => e.node.name)).toEqual(['jit_one']);
  });

  it('answers typed error members, refusals and bad variables the same', async () => {
    const taken = await runs(dev.token, CREATE_SECRET, { input: { name: 'jit_one', value: 'x' } });
    const member = same(taken.map((a) => a.body.data.r));
    expect(member).toMatchObject({ __typename: 'NameTakenError', code: 'NAME_TAKEN' });

    const readOnly = await createApiKey(t, dev.token, { name: 'jit-read', scopes: ['secrets:read'] });
    const refused = same(await runs(readOnly.token, '{ secret(name: "jit_one") { name value } }'));
    expect(refused.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(JSON.stringify(refused.body)).not.toContain('value-one');
    const { body } = await t.graphql(dev.token, '{ auditEvents(first: 100, filter: { actions: ["auth.denied"] }) { edges { node { id } } } }');
    expect(body.data.auditEvents.edges.length).toBeGreaterThanOrEqual(RUNS);

    const badVariables = same(await runs(dev.token, 'query($name: String!) { secret(name: $name) { value } }', { name: 7 }));
    expect(badVariables.body.errors).toHaveLength(1);
  });

  it('runs the operation a request names, from a document of several', async () => {
    const doc = 'query One { secret(name: "jit_one") { value } } query Two { secret(name: "jit_two") { value } }';
    for (let i = 0; i < RUNS; i++) {
      for (const [operationName, value] of [['One', 'value-one'], ['Two', 'value-two']] as const) {
        const answer = await t.request('/graphql', {
          method: 'POST',
          headers: { authorization: `Bearer ${dev.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ query: doc, operationName }),
        });
        expect(answer.body).toEqual({ data: { secret: { value } } });
      }
    }
  });
});
