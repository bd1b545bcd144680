import { DATABASE_KINDS } from '../support/databases';
import { startFakeHttp } from '../support/fake-http';
import { useDeveloper, useStarted, useTestApp, withTestApp } from '../support/test-app';

/** Tasks end to end through GraphQL (docs/task-language.md): the documented examples against loopback fakes. */
const WEATHER_KEY = 'wk-live-4f1b2c3d4e5f60718293';
const STRIPE_KEY = 'sk_live_stripe_9a8b7c6d5e4f3a2b';
const STRIPE_ACCOUNT = 'acct_1Hh2Jj3Kk4Ll5Mm6';
const API_KEY = 'apikey-templated-77aa88bb99cc';
const OPENAI_KEY = 'sk-openai-0123456789abcdefABCDEF';
const ALL_VALUES = [WEATHER_KEY, STRIPE_KEY, STRIPE_ACCOUNT, API_KEY, OPENAI_KEY];

const RUN = `mutation($task: JSON!, $input: JSON) { runTask(input: { task: $task, input: $input }) {
  __typename
  ... on RunTaskPayload { run { status usedSecrets error errorCode problems { message line column } steps { index kind status output error errorCode } } }
  ... on Error { code message } } }`;
const VALIDATE = `query($task: JSON!) { validateTask(task: $task) { valid secrets problems { message path line column } } }`;

describe.each(DATABASE_KINDS)('tasks on %s', (kind) => {
  const api = useStarted(() => startFakeHttp());
  const t = useTestApp(kind, () => ({ env: { LOCKSMITH_OPENAI_BASE_URL: `${api.url}/v1` } }));
  const dev = useDeveloper(t);
  beforeAll(async () => {
    for (const [name, value] of [
      ['weather_api_key', WEATHER_KEY],
      ['stripe_api_key', STRIPE_KEY],
      ['stripe_account_id', STRIPE_ACCOUNT],
      ['api_key', API_KEY],
      ['OPENAI_API_KEY', OPENAI_KEY],
    ]) {
      const r = await t.graphql(dev.token, `mutation($n: String!, $v: String!) { createSecret(input: { name: $n, value: $v }) { __typename } }`, { n: name, v: value });
      expect(r.body.data.createSecret.__typename).toBe('CreateSecretPayload');
    }
  });
  beforeEach(() => api.reset());

  const seedTask = () => `
tools:
  - name: weather
    type: api_call
    api_call: { method: GET, url: "${api.url}/echo/weather" }
  - name: payments
    type: api_call
    api_call:
      method: POST
      url: "${api.url}/echo/payments"
      headers:
        Authorization: "$ f\\"Bearer {secrets.api_key}\\""
        Stripe-Account: "$ secrets.account"
steps:
  - kind: tool_call
    tool: weather
    secret_name: weather_api_key
    arguments: { city: Paris }
  - kind: tool_call
    tool: payments
    secrets: { api_key: stripe_api_key, account: stripe_account_id }
    arguments: { amount: 42 }
  - kind: evaluate
    evaluate:
      link: "$ f'https://api.example.com/v1?key={secrets.api_key}'"
  - kind: prompt
    model: gpt-4o
    prompt: "Summarize {{ steps[0].output }}"
`;

  it('runs the seed examples end to end: credentials arrive where they belong, outputs are redacted', async () => {
    const { body } = await t.graphql(dev.token, RUN, { task: seedTask(), input: {} });
    expect(body.data.runTask.__typename).toBe('RunTaskPayload');
    const run = body.data.runTask.run;
    expect({ status: run.status, error: run.error }).toEqual({ status: 'SUCCEEDED', error: null });
    expect(run.usedSecrets.sort()).toEqual(['OPENAI_API_KEY', 'api_key', 'stripe_account_id', 'stripe_api_key', 'weather_api_key']);

    const weather = api.requests.find((r) => r.path === '/echo/weather')!;
    expect(weather.headers.authorization).toBe(`Bearer ${WEATHER_KEY}`);
    expect(weather.query.city).toBe('Paris');
    const payments = api.requests.find((r) => r.path === '/echo/payments')!;
    expect(payments.headers.authorization).toBe(`Bearer ${STRIPE_KEY}`);
    expect(payments.headers['stripe-account']).toBe(STRIPE_ACCOUNT);
    const llm = api.requests.find((r) => r.path === '/v1/chat/completions')!;
    expect(llm.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect((llm.json as any).model).toBe('gpt-4o');

    // The echo fakes send the credentials back; none may survive into the result.
    const text = JSON.stringify(body);
    for (const value of ALL_VALUES) expect(text).not.toContain(value);
    expect(text).toContain('[secret:weather_api_key]');
    // No alias in this step: secrets.api_key is the developer's own secret named api_key. A
    // string computed from a secret is tainted as a whole, not just where the value sits.
    expect(run.steps[2].output).toEqual({ link: '[secret:api_key]' });
    expect(run.steps.map((s: any) => s.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
  });

  it('audits each secret a run uses and keeps values out of the log', async () => {
    await t.graphql(dev.token, RUN, { task: seedTask() });
    const events = await t.graphql(dev.token, `{ auditEvents(first: 20, filter: { actions: ["task.secret_use"] }) { edges { node { secretName actor requestId } } } }`);
    const names = events.body.data.auditEvents.edges.map((e: any) => e.node.secretName);
    expect(names.slice(0, 5).sort()).toEqual(['OPENAI_API_KEY', 'api_key', 'stripe_account_id', 'stripe_api_key', 'weather_api_key']);
    const logs = t.logs.join('\n');
    for (const value of ALL_VALUES) expect(logs).not.toContain(value);
  });

  it('accepts the Julep runtime shape (main: with key-shaped steps) unchanged', async () => {
    const task = {
      tools: [
        {
          name: 'search',
          type: 'api_call',
          api_call: { method: 'GET', url: `${api.url}/echo/search`, headers: { Authorization: '$ f"Bearer {secrets.api_key}"' }, params: { q: '{{ inputs.query }}' } },
        },
      ],
      main: [{ tool: 'search', arguments: {} }, { evaluate: { found: '$ len(_) > 0' } }],
    };
    const { body } = await t.graphql(dev.token, RUN, { task, input: { query: 'locksmith' } });
    expect(body.data.runTask.run.status).toBe('SUCCEEDED');
    const search = api.requests.find((r) => r.path === '/echo/search')!;
    expect(search.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(search.query.q).toBe('locksmith');
    expect(JSON.stringify(body)).not.toContain(API_KEY);
  });

  it('fails before any outbound call when a secret is missing, and validateTask says where', async () => {
    const task = `steps:\n  - kind: tool_call\n    tool: weather\n    secret_name: no_such_key\ntools:\n  - name: weather\n    type: api_call\n    api_call: { method: GET, url: "${api.url}/echo/w" }\n`;
    const { body } = await t.graphql(dev.token, RUN, { task });
    expect(body.data.runTask.run.status).toBe('FAILED');
    expect(body.data.runTask.run.usedSecrets).toEqual([]);
    expect(api.requests).toEqual([]);

    const validation = await t.graphql(dev.token, VALIDATE, { task });
    expect(validation.body.data.validateTask.valid).toBe(false);
    expect(validation.body.data.validateTask.problems).toEqual([
      expect.objectContaining({ message: expect.stringContaining('no_such_key'), line: 4 }),
    ]);
    const ok = await t.graphql(dev.token, VALIDATE, { task: seedTask() });
    expect(ok.body.data.validateTask).toMatchObject({ valid: true, problems: [] });
    expect(ok.body.data.validateTask.secrets.sort()).toEqual(['OPENAI_API_KEY', 'api_key', 'stripe_account_id', 'stripe_api_key', 'weather_api_key']);
    expect(api.requests).toEqual([]); // validation never runs anything
  });

  it('reports bad expressions and non-literal secret names with line and column', async () => {
    const task = 'steps:\n  - kind: evaluate\n    evaluate:\n      x: "$ secrets[inputs.which]"\n      y: "$ 1 +"\n';
    const { body } = await t.graphql(dev.token, VALIDATE, { task });
    const problems = body.data.validateTask.problems;
    expect(body.data.validateTask.valid).toBe(false);
    expect(problems.some((p: any) => /literal/i.test(p.message) && p.line === 4)).toBe(true);
    expect(problems.some((p: any) => p.line === 5 && typeof p.column === 'number')).toBe(true);
  });

  it('cannot use another developer\'s secrets, and needs tasks:run', async () => {
    const other = await t.createDeveloper('other');
    const { body } = await t.graphql(other.token, RUN, { task: seedTask() });
    expect(body.data.runTask.run.status).toBe('FAILED');
    expect(body.data.runTask.run.usedSecrets).toEqual([]);
    expect(api.requests).toEqual([]);
    const validation = await t.graphql(other.token, VALIDATE, { task: seedTask() });
    expect(validation.body.data.validateTask.valid).toBe(false);

    const key = await t.graphql(dev.token, `mutation { createApiKey(input: { name: "ro", scopes: ["secrets:read"] }) { ... on CreateApiKeyPayload { apiKey { token } } } }`);
    const refused = await t.graphql(key.body.data.createApiKey.apiKey.token, RUN, { task: seedTask() });
    expect(refused.body.data.runTask.__typename).toBe('ForbiddenError');
    expect(api.requests).toEqual([]);
  });

  it('limits outbound hosts when LOCKSMITH_TASK_ALLOWED_HOSTS is set', async () => {
    // A second app on the same data, configured otherwise: no database of its own to create and migrate.
    await withTestApp(kind, { database: t.db, env: { LOCKSMITH_TASK_ALLOWED_HOSTS: 'api.example.com,*.trusted.example' } }, async (strict) => {
      const d = await strict.createDeveloper('strict hosts');
      await strict.graphql(d.token, `mutation { createSecret(input: { name: "k", value: "strict-value-123" }) { __typename } }`);
      const task = { tools: [{ name: 't', type: 'api_call', api_call: { method: 'GET', url: `${api.url}/echo/x` } }], steps: [{ kind: 'tool_call', tool: 't', secret_name: 'k' }] };
      const { body } = await strict.graphql(d.token, RUN, { task });
      expect(body.data.runTask.run.status).toBe('FAILED');
      expect(api.requests).toEqual([]);
    });
  });

  it('refuses loopback by default: the network policy is on unless LOCKSMITH_TASK_ALLOWED_NETWORKS lists the range', async () => {
    await withTestApp(kind, { database: t.db, env: { LOCKSMITH_TASK_ALLOWED_NETWORKS: '' } }, async (closed) => {
      const d = await closed.createDeveloper('closed network');
      const port = new URL(api.url).port;
      for (const host of ['127.0.0.1', '2130706433', '[::ffff:127.0.0.1]', 'localhost']) {
        const task = { tools: [{ name: 't', type: 'api_call', api_call: { method: 'GET', url: `http://${host}:${port}/echo/x` } }], steps: [{ kind: 'tool_call', tool: 't' }] };
        const { body } = await closed.graphql(d.token, RUN, { task });
        expect(body.data.runTask.run.status).toBe('FAILED');
        expect(body.data.runTask.run.steps[0].error).toContain('network policy');
      }
      expect(api.requests).toEqual([]);
    });
  });

  it('returns object keys in the order the step built them', async () => {
    const task = 'steps:\n  - kind: evaluate\n    evaluate: { city: "$ \'Paris\'", temp_c: "$ 21", nested: "$ {\'b\': 1, \'a\': 2, \'c\': 3}" }\n';
    const { body } = await t.graphql(dev.token, RUN, { task });
    const output = body.data.runTask.run.steps[0].output;
    expect(Object.keys(output)).toEqual(['city', 'temp_c', 'nested']);
    expect(Object.keys(output.nested)).toEqual(['b', 'a', 'c']);
  });

  describe('allowedHosts: per-secret host binding', () => {
    const SECRET = `mutation($input: CreateSecretInput!) { createSecret(input: $input) { __typename ... on CreateSecretPayload { secret { name allowedHosts } } ... on ValidationError { field message } } }`;
    const UPDATE = `mutation($input: UpdateSecretInput!) { updateSecret(input: $input) { __typename ... on UpdateSecretPayload { secret { allowedHosts } } ... on Error { message } } }`;
    const BOUND_VALUE = 'bound-value-5f4e3d2c1b0a99887766';
    const direct = () => ({ tools: [{ name: 't', type: 'api_call', api_call: { method: 'GET', url: `${api.url}/echo/bound` } }], steps: [{ kind: 'tool_call', tool: 't', secret_name: 'bound_key' }] });
    const derived = () => ({
      tools: [{ name: 't', type: 'api_call', api_call: { method: 'POST', url: `${api.url}/echo/bound`, json: { k: '$ steps[0].output.k' } } }],
      steps: [{ kind: 'evaluate', evaluate: { k: '$ b64encode(secrets.bound_key[::-1])' } }, { kind: 'tool_call', tool: 't' }],
    });

    beforeAll(async () => {
      const ok = await t.graphql(dev.token, SECRET, { input: { name: 'bound_key', value: BOUND_VALUE, allowedHosts: ['API.example.com', '*.example.org'] } });
      expect(ok.body.data.createSecret.secret).toEqual({ name: 'bound_key', allowedHosts: ['api.example.com', '*.example.org'] });
    });

    it('validates, stores and reads back the binding', async () => {
      const bad = await t.graphql(dev.token, SECRET, { input: { name: 'bad_binding', value: 'v', allowedHosts: ['not a host!'] } });
      expect(bad.body.data.createSecret).toMatchObject({ __typename: 'ValidationError', field: 'allowedHosts' });
      const read = await t.graphql(dev.token, `{ secret(name: "bound_key") { allowedHosts } }`);
      expect(read.body.data.secret.allowedHosts).toEqual(['api.example.com', '*.example.org']);
    });

    it('refuses to send a bound secret, or anything derived from it, to another host, and audits task.secret_denied', async () => {
      for (const task of [direct(), derived()]) {
        const { body } = await t.graphql(dev.token, RUN, { task });
        const run = body.data.runTask.run;
        expect(run.status).toBe('FAILED');
        const failed = run.steps[run.steps.length - 1];
        expect(failed).toMatchObject({ status: 'FAILED', errorCode: 'TASK_SECRET_DENIED', error: expect.stringContaining("secret 'bound_key' may not be sent to 127.0.0.1") });
        expect(run.errorCode).toBe('TASK_SECRET_DENIED');
      }
      expect(api.requests).toEqual([]);
      const events = await t.graphql(dev.token, `{ auditEvents(first: 5, filter: { actions: ["task.secret_denied"] }) { edges { node { action secretName } } } }`);
      expect(events.body.data.auditEvents.edges.map((e: any) => e.node)).toEqual([
        { action: 'task.secret_denied', secretName: 'bound_key' },
        { action: 'task.secret_denied', secretName: 'bound_key' },
      ]);
      expect(t.logs.join('\n')).not.toContain(BOUND_VALUE);
    });

    it('sends it where it is bound, and nowhere else once unbound', async () => {
      const bind = await t.graphql(dev.token, UPDATE, { input: { name: 'bound_key', allowedHosts: ['127.0.0.1'] } });
      expect(bind.body.data.updateSecret.secret.allowedHosts).toEqual(['127.0.0.1']);
      const { body } = await t.graphql(dev.token, RUN, { task: derived() });
      expect(body.data.runTask.run.status).toBe('SUCCEEDED');
      const sent = api.requests.find((r) => r.path === '/echo/bound')!;
      expect((sent.json as any).k).toBe(Buffer.from([...BOUND_VALUE].reverse().join('')).toString('base64'));
      const unbind = await t.graphql(dev.token, UPDATE, { input: { name: 'bound_key', allowedHosts: null } });
      expect(unbind.body.data.updateSecret.secret.allowedHosts).toEqual([]);
    });
  });
});
