import { useTestApp, withTestApp } from '../support/test-app';

describe('operations endpoints', () => {
  const t = useTestApp('sqlite');

  const get = (path: string) => t.app.yoga.fetch(`http://locksmith.test${path}`);

  it('/healthz and /readyz answer without auth', async () => {
    expect(await (await get('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { database: 'ok', keyProvider: 'ok' } });
  });

  it('/readyz reports an unreachable database with 503', async () => {
    // An app of its own, whose close() afterwards also ends the rest of it (yoga, key providers).
    await withTestApp('sqlite', {}, async (other) => {
      await other.app.db.destroy();
      const ready = await other.request('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ status: 'unavailable', checks: { database: 'unavailable', keyProvider: 'ok' } });
    });
  });

  it('/metrics exposes Prometheus counters without tenant data', async () => {
    const dev = await t.createDeveloper();
    await t.graphql(dev.token, `mutation { createSecret(input: { name: "metric_secret", value: "metric-value-1" }) { __typename } }`);
    await t.graphql(dev.token, `{ secret(name: "metric_secret") { value } }`);
    const response = await get('/metrics');
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/locksmith_graphql_operations_total\{type="mutation",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/locksmith_data_key_cache_hits [1-9]/);
    expect(text).toMatch(/locksmith_key_provider_calls \d+/);
    expect(text).not.toContain('metric_secret');
    expect(text).not.toContain('metric-value-1');
    expect(text).not.toContain(dev.id);
  });

  it("answers with the server's own request id, whatever the caller sends", async () => {
    const given = await t.app.yoga.fetch('http://locksmith.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'trace-abc_123' },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    // The caller's id is kept beside ours in audit records, never instead of it.
    expect(given.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const hostile = await t.app.yoga.fetch('http://locksmith.test/healthz', { headers: { 'x-request-id': 'bad id\nwith newline' } });
    expect(hostile.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
