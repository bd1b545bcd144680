/**
 * LOCKSMITH_MAX_PAGE_SIZE bounds every list (secrets, versions, audit events): a larger
 * `first`/`last` is a validation error naming the setting, and the default page never exceeds it.
 */
import { DATABASE_KINDS } from '../support/databases';
import { createSecret, query, useRecordedApp } from '../support/integration';
import { useDeveloper } from '../support/test-app';

describe.each(DATABASE_KINDS)('page size limit on %s', (kind) => {
  const t = useRecordedApp(kind, { env: { LOCKSMITH_MAX_PAGE_SIZE: '3' } });
  const dev = useDeveloper(t, 'page size dev');

  beforeAll(async () => {
    for (const name of ['ps_a', 'ps_b', 'ps_c', 'ps_d', 'ps_e']) await createSecret(t, dev.token, { name, value: `v-${name}` });
  });

  it.each([
    ['secrets(first: 4) { edges { cursor } }', 'first'],
    ['secrets(last: 4) { edges { cursor } }', 'last'],
    ['auditEvents(first: 4) { edges { cursor } }', 'first'],
    ['secret(name: "ps_a") { versions(first: 4) { edges { cursor } } }', 'first'],
  ])('refuses %s with a validation error naming the setting', async (selection, field) => {
    const { status, body } = await t.graphql(dev.token, `{ ${selection} }`);
    expect(status).toBe(200);
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].extensions.code).toBe('VALIDATION_FAILED');
    expect(body.errors[0].message).toContain('LOCKSMITH_MAX_PAGE_SIZE');
    expect(body.errors[0].message).toContain(`${field} must be a whole number from 0 to 3`);
  });

  it('serves pages up to the limit, and a default page no larger than it', async () => {
    const full = await query(t, dev.token, '{ secrets(first: 3) { edges { node { name } } pageInfo { hasNextPage } } }');
    expect(full.secrets.edges.map((e: any) => e.node.name)).toEqual(['ps_a', 'ps_b', 'ps_c']);
    expect(full.secrets.pageInfo.hasNextPage).toBe(true);
    const byDefault = await query(t, dev.token, '{ secrets { edges { node { name } } } }');
    expect(byDefault.secrets.edges).toHaveLength(3);
  });
});
