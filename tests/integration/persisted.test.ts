/**
 * Persisted operations: the typed client sends the hash of its codegen documents and the server
 * runs the text from the manifest generated with them; the text is still accepted; an unknown
 * hash is answered PERSISTED_QUERY_NOT_FOUND and changes nothing, and a request with neither
 * text nor a usable hash gets yoga's usual answer.
 */
import { createClient } from '../../src/client';
import type { FetchLike } from '../../src/client/transport';
import clientDocuments from '../../src/client/generated/persisted-documents.json';
import { RevealSecretDocument } from '../../src/client/generated/graphql';
import { DATABASE_KINDS } from '../support/databases';
import { createSecret } from '../support/integration';
import { useDeveloper, useTestApp } from '../support/test-app';

describe.each(DATABASE_KINDS)('persisted operations on %s', (kind) => {
  const t = useTestApp(kind);
  const dev = useDeveloper(t, 'persisted');

  beforeAll(async () => {
    await createSecret(t, dev.token, { name: 'persisted_one', value: 'value-persisted' });
  });

  const post = (body: unknown) =>
    t.request('/graphql', {
      method: 'POST',
      headers: { authorization: `Bearer ${dev.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('runs the typed client through hashes only', async () => {
    const bodies: string[] = [];
    const fetch: FetchLike = async (url, init) => {
      bodies.push(init.body);
      const answer = await t.request(new URL(url).pathname, init);
      return { status: answer.status, headers: answer.headers, text: async () => answer.text };
    };
    const client = createClient({ url: 'http://locksmith.test', token: dev.token, fetch });
    expect((await client.secrets.reveal('persisted_one')).value).toBe('value-persisted');
    expect(bodies).toHaveLength(1);
    expect(JSON.parse(bodies[0]!).query).toBeUndefined();
  });

  it('knows every document of the client manifest, and still takes the text', async () => {
    const hash = (RevealSecretDocument as unknown as { __meta__: { hash: string } }).__meta__.hash;
    expect(Object.keys(clientDocuments)).toContain(hash);
    const byHash = await post({ variables: { name: 'persisted_one' }, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
    const byText = await post({ query: RevealSecretDocument.toString(), variables: { name: 'persisted_one' } });
    expect(byHash.body.data.secret.value).toBe('value-persisted');
    expect(byHash.body.data.secret.name).toBe(byText.body.data.secret.name);
  });

  it('answers an unknown hash with PERSISTED_QUERY_NOT_FOUND, and a request without text or usable hash as before', async () => {
    const { body: before } = await t.graphql(dev.token, '{ auditEvents(first: 100) { edges { node { id } } } }');
    const unknown = await post({ variables: {}, extensions: { persistedQuery: { version: 1, sha256Hash: `sha256:${'0'.repeat(64)}` } } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const { body: after } = await t.graphql(dev.token, '{ auditEvents(first: 100) { edges { node { id } } } }');
    expect(after.data).toEqual(before.data);
    const plain = await post({ variables: {} });
    for (const odd of [
      { variables: {}, extensions: { persistedQuery: { version: 1, sha256Hash: 'x'.repeat(200) } } },
      { variables: {}, extensions: { persistedQuery: { version: 2, sha256Hash: Object.keys(clientDocuments)[0] } } },
    ]) {
      const answer = await post(odd);
      expect({ status: answer.status, errors: answer.body.errors }).toEqual({ status: plain.status, errors: plain.body.errors });
    }
  });
});
