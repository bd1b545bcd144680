import { runTask, type RunTaskDeps, type TaskRunResult } from '../../../src/tasks';
import { startFakeHttp, type FakeHttp, type RecordedRequest } from '../../support/fake-http';
import { locate } from './fixtures';
import { createServer, type AddressInfo } from 'node:net';

/**
 * The runner end to end against a real loopback HTTP server and the real global fetch.
 * The fakes echo the credentials they receive, so every test that gets a response back
 * also proves that the value (and its encodings) never appears in what runTask returns.
 */

let fake: FakeHttp;
beforeAll(async () => {
  fake = await startFakeHttp();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

const VALUES: Record<string, string> = {
  weather_api_key: 'wk-9f8e7d6c5b4a3210',
  stripe_api_key: 'sk_live_51HqLyjWDarjtT1zdp7dc',
  stripe_account_id: 'acct_1Kx2Yz3Wv4Ut',
  SEARCH_API_KEY: 'search-key/with+special=chars&?',
  OPENAI_API_KEY: 'sk-proj-openai-aaaaaaaaaaaaaaaa',
  openai_api_key: 'sk-lowercase-openai-bbbbbbbbbbbb',
  ANTHROPIC_API_KEY: 'sk-ant-api03-cccccccccccccccc',
  GEMINI_API_KEY: 'AIzaSy-gemini-dddddddddddd',
  MISTRAL_API_KEY: 'mistral-eeeeeeeeeeeeeeee',
  GROQ_API_KEY: 'gsk_groq_ffffffffffffffff',
  team_openai: 'sk-team-openai-gggggggggggg',
  unused_but_present: 'never-revealed-hhhhhhhhhhhh',
  basic_password: 'p4ssw0rd-iiiiiiiiii',
};

interface StoreSpy {
  revealCalls: string[][];
  existsCalls: string[][];
}

function deps(available: string[] = Object.keys(VALUES), overrides: Partial<RunTaskDeps> = {}): RunTaskDeps & StoreSpy {
  const spy: StoreSpy = { revealCalls: [], existsCalls: [] };
  const base = `${fake.url}/v1`;
  return {
    ...spy,
    secrets: {
      exists: async (names) => {
        spy.existsCalls.push(names);
        return new Set(names.filter((n) => available.includes(n)));
      },
      reveal: async (names) => {
        spy.revealCalls.push(names);
        return new Map(names.filter((n) => available.includes(n)).map((n) => [n, VALUES[n]!]));
      },
    },
    fetch: globalThis.fetch,
    llm: { baseUrls: { openai: base, anthropic: base, google: base, mistral: base, groq: base, openrouter: base } },
    limits: { stepTimeoutMs: 5_000, totalTimeoutMs: 20_000, maxResponseBytes: 1024 * 1024, maxSteps: 20 },
    ...overrides,
  };
}

/** No secret value, in any encoding we know of, appears anywhere in the result. */
function expectNoSecretValues(result: TaskRunResult): void {
  const text = JSON.stringify(result);
  for (const value of Object.values(VALUES)) {
    for (const form of [value, Buffer.from(value).toString('base64').replace(/=+$/, ''), encodeURIComponent(value), new URLSearchParams({ k: value }).toString().slice(2)]) {
      expect(text).not.toContain(form);
    }
  }
}

const only = (method: string, path: string): RecordedRequest => {
  const matching = fake.requests.filter((r) => r.method === method && r.path === path);
  expect(matching).toHaveLength(1);
  return matching[0]!;
};

const tool = (name: string, apiCall: string) => `  - name: ${name}\n    type: api_call\n    api_call: ${apiCall}\n`;

describe('credentials arrive where the tool says', () => {
  it('secret_name is sent as Authorization: Bearer by default (seed shape)', async () => {
    const d = deps();
    const doc = `tools:\n${tool('weather', `{ method: GET, url: "${fake.url}/echo/weather" }`)}steps:\n  - kind: tool_call\n    tool: weather\n    secret_name: weather_api_key\n    arguments: { city: Paris }\n`;
    const result = await runTask(doc, {}, d);
    expect(result.error).toBeNull();
    expect(result.status).toBe('SUCCEEDED');
    const req = only('GET', '/echo/weather');
    expect(req.headers.authorization).toBe(`Bearer ${VALUES.weather_api_key}`);
    expect(req.query).toEqual({ city: 'Paris' });
    expect(result.steps).toEqual([
      {
        index: 0,
        kind: 'tool_call',
        status: 'SUCCEEDED',
        error: null,
        errorCode: null,
        output: expect.objectContaining({ method: 'GET', path: '/echo/weather', query: { city: 'Paris' } }),
      },
    ]);
    expect((result.steps[0]!.output as { headers: Record<string, string> }).headers.authorization).toBe('Bearer [secret:weather_api_key]');
    expect(result.usedSecrets).toEqual(['weather_api_key']);
    expect(d.revealCalls).toEqual([['weather_api_key']]);
    expectNoSecretValues(result);
  });

  it('auth: { header: X-Api-Key } puts the raw value in that header', async () => {
    const doc = `tools:\n${tool('t', `{ url: "${fake.url}/echo/h", auth: { header: X-Api-Key } }`)}main:\n  - tool: t\n    secret_name: weather_api_key\n`;
    const result = await runTask(doc, {}, deps());
    expect(result.status).toBe('SUCCEEDED');
    const req = only('GET', '/echo/h');
    expect(req.headers['x-api-key']).toBe(VALUES.weather_api_key);
    expect(req.headers.authorization).toBeUndefined();
    expectNoSecretValues(result);
  });

  it('auth: { header, prefix } sets a custom scheme', async () => {
    const doc = `tools:\n${tool('t', `{ url: "${fake.url}/echo/p", auth: { header: Authorization, prefix: "Token " } }`)}main:\n  - tool: t\n    secret_name: weather_api_key\n`;
    await runTask(doc, {}, deps());
    expect(only('GET', '/echo/p').headers.authorization).toBe(`Token ${VALUES.weather_api_key}`);
  });

  it('auth: { query: key } puts the value in the query string, and the echoed URL is redacted', async () => {
    const doc = `tools:\n${tool('t', `{ url: "${fake.url}/echo/q?units=metric", auth: { query: key } }`)}main:\n  - tool: t\n    secret_name: SEARCH_API_KEY\n`;
    const result = await runTask(doc, {}, deps());
    expect(result.status).toBe('SUCCEEDED');
    const req = only('GET', '/echo/q');
    expect(req.query).toEqual({ units: 'metric', key: VALUES.SEARCH_API_KEY });
    expect(req.headers.authorization).toBeUndefined();
    expect((result.steps[0]!.output as { query: Record<string, string> }).query.key).toBe('[secret:SEARCH_API_KEY]');
    expectNoSecretValues(result);
  });

  it('secrets: aliases are usable as secrets.alias in the tool definition', async () => {
    const doc = `tools:
  - name: payments
    type: api_call
    api_call:
      method: POST
      url: "${fake.url}/echo/payments"
      headers: { Authorization: "$ f'Bearer {secrets.api_key}'", Stripe-Account: "$ secrets.account" }
      json: { amount: 100 }
steps:
  - kind: tool_call
    tool: payments
    secrets: { api_key: stripe_api_key, account: stripe_account_id }
    arguments: { currency: eur }
`;
    const d = deps();
    const result = await runTask(doc, {}, d);
    expect(result.status).toBe('SUCCEEDED');
    const req = only('POST', '/echo/payments');
    expect(req.headers.authorization).toBe(`Bearer ${VALUES.stripe_api_key}`);
    expect(req.headers['stripe-account']).toBe(VALUES.stripe_account_id);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.json).toEqual({ amount: 100, currency: 'eur' });
    expect(d.revealCalls).toEqual([['stripe_api_key', 'stripe_account_id']]);
    expectNoSecretValues(result);
  });

  it('a Julep api_call tool with an f-string bearer header and templated params', async () => {
    const doc = `tools:
  - name: search
    type: api_call
    api_call:
      method: GET
      url: "${fake.url}/echo/search"
      headers:
        Authorization: $ f"Bearer {secrets.SEARCH_API_KEY}"
      params:
        q: "{{ inputs.query }}"
        limit: 5
main:
  - tool: search
`;
    const result = await runTask(doc, { query: 'rust async' }, deps());
    expect(result.status).toBe('SUCCEEDED');
    const req = only('GET', '/echo/search');
    expect(req.headers.authorization).toBe(`Bearer ${VALUES.SEARCH_API_KEY}`);
    expect(req.query).toEqual({ q: 'rust async', limit: '5' });
    expectNoSecretValues(result);
  });

  it('Julep-style request overrides in arguments (url, headers, params) and basic auth', async () => {
    const doc = `tools:
  - name: external_api
    type: api_call
    api_call: { method: GET, url: "${fake.url}/echo/default" }
steps:
  - kind: tool_call
    tool: external_api
    operation: fetch_data
    arguments:
      url: "${fake.url}/echo/data"
      headers:
        X-API-Key: "$ secrets.weather_api_key"
      params: { page: 2 }
      auth:
        username: admin
        password: "$ secrets.basic_password"
    output: data
  - kind: evaluate
    evaluate: { page: "data.query.page" }
`;
    const result = await runTask(doc, {}, deps());
    expect(result.error).toBeNull();
    const req = only('GET', '/echo/data');
    expect(req.headers['x-api-key']).toBe(VALUES.weather_api_key);
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from(`admin:${VALUES.basic_password}`).toString('base64')}`);
    expect(result.steps[1]!.output).toEqual({ page: '2' });
    const echoed = (result.steps[0]!.output as { headers: Record<string, string> }).headers.authorization!;
    expect(echoed).toContain('[secret:basic_password]');
    expectNoSecretValues(result);
  });
});

describe('LLM steps', () => {
  const promptTask = (model: string, extra = '') =>
    `steps:\n  - kind: evaluate\n    evaluate: { city: "'Paris'" }\n  - kind: prompt\n    model: ${model}\n    prompt: "Summarize {{ steps[0].output.city }}"\n${extra}`;

  it('picks OPENAI_API_KEY for gpt-* and returns the assistant text, redacted', async () => {
    const d = deps();
    const result = await runTask(promptTask('gpt-4o', '    settings: { temperature: 0.2 }\n'), {}, d);
    expect(result.error).toBeNull();
    const req = only('POST', '/v1/chat/completions');
    expect(req.headers.authorization).toBe(`Bearer ${VALUES.OPENAI_API_KEY}`);
    expect(req.json).toEqual({ model: 'gpt-4o', temperature: 0.2, messages: [{ role: 'user', content: 'Summarize Paris' }] });
    expect(result.steps[1]!.output).toBe('model=gpt-4o key=[secret:OPENAI_API_KEY] said: Summarize Paris');
    expect(d.revealCalls).toEqual([['OPENAI_API_KEY']]);
    expect(result.usedSecrets).toEqual(['OPENAI_API_KEY']);
    expectNoSecretValues(result);
  });

  it('falls back to openai_api_key, then to the server default key', async () => {
    const lower = await runTask(promptTask('gpt-4o-mini'), {}, deps(['openai_api_key']));
    expect(lower.steps[1]!.output).toBe('model=gpt-4o-mini key=[secret:openai_api_key] said: Summarize Paris');
    fake.reset();
    const serverKey = 'sk-server-default-zzzzzzzzzz';
    const d = deps([], { llm: { baseUrls: { openai: `${fake.url}/v1` }, defaultKeys: { openai: serverKey } } });
    const server = await runTask(promptTask('gpt-4o'), {}, d);
    expect(only('POST', '/v1/chat/completions').headers.authorization).toBe(`Bearer ${serverKey}`);
    expect(server.steps[1]!.output).toBe('model=gpt-4o key=[secret:server:openai] said: Summarize Paris');
    expect(server.usedSecrets).toEqual([]);
    expect(d.revealCalls).toEqual([]);
    expect(JSON.stringify(server)).not.toContain(serverKey);
  });

  it('a key the step names beats the conventional secret', async () => {
    await runTask(promptTask('gpt-4o', '    secret_name: team_openai\n'), {}, deps());
    expect(only('POST', '/v1/chat/completions').headers.authorization).toBe(`Bearer ${VALUES.team_openai}`);
    fake.reset();
    const d = deps();
    const result = await runTask(promptTask('gpt-4o', '    settings: { api_key: "$ secrets.team_openai" }\n'), {}, d);
    expect(only('POST', '/v1/chat/completions').headers.authorization).toBe(`Bearer ${VALUES.team_openai}`);
    expect(d.revealCalls).toEqual([['team_openai']]);
    expectNoSecretValues(result);
  });

  it('no key anywhere fails the run before any request', async () => {
    const d = deps(['weather_api_key']);
    const result = await runTask(promptTask('gpt-4o'), {}, d);
    expect(result.status).toBe('FAILED');
    expect(result.error).toMatch(/no API key for model 'gpt-4o': create a secret named OPENAI_API_KEY/);
    expect(result.steps).toEqual([]);
    expect(fake.requests).toEqual([]);
    expect(d.revealCalls).toEqual([]);
  });

  it('claude-* uses the Anthropic messages API with x-api-key and anthropic-version', async () => {
    const doc = `steps:
  - kind: prompt
    model: claude-3-5-sonnet-latest
    prompt:
      - { role: system, content: "Be brief." }
      - { role: user, content: "Hello {{ inputs.name }}" }
    settings: { max_tokens: 50 }
`;
    const result = await runTask(doc, { name: 'Ada' }, deps());
    expect(result.error).toBeNull();
    const req = only('POST', '/v1/messages');
    expect(req.headers['x-api-key']).toBe(VALUES.ANTHROPIC_API_KEY);
    expect(req.headers['anthropic-version']).toBe('2023-06-01');
    expect(req.headers.authorization).toBeUndefined();
    expect(req.json).toEqual({ model: 'claude-3-5-sonnet-latest', max_tokens: 50, system: 'Be brief.', messages: [{ role: 'user', content: 'Hello Ada' }] });
    expect(result.steps[0]!.output).toBe('model=claude-3-5-sonnet-latest key=[secret:ANTHROPIC_API_KEY] system=Be brief. said: Hello Ada');
    expectNoSecretValues(result);
  });

  it.each([
    ['gemini-1.5-flash', 'GEMINI_API_KEY', 'gemini-1.5-flash'],
    ['mistral-small-latest', 'MISTRAL_API_KEY', 'mistral-small-latest'],
    ['groq/llama-3.1-8b-instant', 'GROQ_API_KEY', 'llama-3.1-8b-instant'],
  ])('%s goes to an OpenAI-compatible endpoint with %s', async (model, key, sent) => {
    const result = await runTask(`main:\n  - prompt: hi\n    model: ${model}\n`, {}, deps());
    expect(result.error).toBeNull();
    const req = only('POST', '/v1/chat/completions');
    expect(req.headers.authorization).toBe(`Bearer ${VALUES[key]}`);
    expect((req.json as { model: string }).model).toBe(sent);
    expectNoSecretValues(result);
  });

  it('template variables carrying a secret reach the model, and the echo is redacted', async () => {
    const doc = `steps:
  - kind: prompt
    model: gpt-4o
    prompt: "Call {{ api_url }}"
    template_variables:
      api_url: "$ f'https://api.example.com/v1?key={secrets.weather_api_key}'"
`;
    const result = await runTask(doc, {}, deps());
    const sent = only('POST', '/v1/chat/completions').json as { messages: { content: string }[] };
    expect(sent.messages[0]!.content).toBe(`Call https://api.example.com/v1?key=${VALUES.weather_api_key}`);
    expect(result.steps[0]!.output).toBe('model=gpt-4o key=[secret:OPENAI_API_KEY] said: Call https://api.example.com/v1?key=[secret:weather_api_key]');
  });

  it('a provider error is a clear, redacted step error', async () => {
    fake.on('POST', '/v1/chat/completions', (req) => ({ status: 401, body: { error: { message: `Incorrect API key provided: ${req.headers.authorization}` } } }));
    const result = await runTask('main:\n  - prompt: hi\n    model: gpt-4o\n', {}, deps());
    expect(result.status).toBe('FAILED');
    expect(result.steps[0]!.error).toBe('the model provider returned HTTP 401: Incorrect API key provided: Bearer [secret:OPENAI_API_KEY]');
    expectNoSecretValues(result);
  });
});

describe('redaction of everything that leaves the run', () => {
  it('echoed encodings of the credential are redacted in outputs', async () => {
    fake.on('GET', '/leak', (req) => {
      const value = (req.headers.authorization ?? '').replace('Bearer ', '');
      return {
        body: {
          raw: value,
          [value]: 'as a key',
          base64: Buffer.from(value).toString('base64'),
          base64url: Buffer.from(value).toString('base64url'),
          url: encodeURIComponent(value),
          form: new URLSearchParams({ v: value }).toString(),
          sentence: `your key ${value} is valid`,
        },
      };
    });
    const doc = `tools:\n${tool('leak', `{ url: "${fake.url}/leak" }`)}main:\n  - tool: leak\n    secret_name: SEARCH_API_KEY\n`;
    const result = await runTask(doc, {}, deps());
    expect(result.steps[0]!.output).toEqual({
      raw: '[secret:SEARCH_API_KEY]',
      '[secret:SEARCH_API_KEY]': 'as a key',
      base64: '[secret:SEARCH_API_KEY]',
      base64url: '[secret:SEARCH_API_KEY]',
      url: '[secret:SEARCH_API_KEY]',
      form: 'v=[secret:SEARCH_API_KEY]',
      sentence: 'your key [secret:SEARCH_API_KEY] is valid',
    });
    expectNoSecretValues(result);
  });

  it('HTTP errors quoting the credential are redacted', async () => {
    fake.on('GET', '/denied', (req) => ({ status: 403, body: `forbidden for ${req.headers['x-key']}` }));
    const doc = `tools:\n${tool('t', `{ url: "${fake.url}/denied", auth: { header: X-Key } }`)}main:\n  - tool: t\n    secret_name: stripe_api_key\n`;
    const result = await runTask(doc, {}, deps());
    expect(result.status).toBe('FAILED');
    expect(result.steps[0]!.error).toMatch(/^HTTP 403 from 127\.0\.0\.1:\d+: forbidden for \[secret:stripe_api_key\]$/);
    expect(result.error).toMatch(/^step 0 \(tool_call\) failed: HTTP 403/);
    expectNoSecretValues(result);
  });

  it('evaluate outputs and expression errors that touch secrets are redacted', async () => {
    const doc = `steps:
  - kind: evaluate
    evaluate:
      direct: secrets.stripe_api_key
      encoded: b64encode(secrets.stripe_api_key)
      quoted: quote(secrets.SEARCH_API_KEY)
  - kind: evaluate
    evaluate:
      boom: "inputs[secrets.stripe_api_key]"
`;
    const result = await runTask(doc, { a: 1 }, deps());
    expect(result.steps[0]!.output).toEqual({ direct: '[secret:stripe_api_key]', encoded: '[secret:stripe_api_key]', quoted: '[secret:SEARCH_API_KEY]' });
    // A failed lookup with a secret as its key would say something about the secret: the
    // result is a failed tainted value, shown as the secret, and no error text at all.
    expect(result.steps[1]).toMatchObject({ status: 'SUCCEEDED', output: { boom: '[secret:stripe_api_key]' }, error: null });
    expectNoSecretValues(result);
  });

  it('log lines are redacted too', async () => {
    const lines: string[] = [];
    const logger = { info: (f: object, m: string) => lines.push(m + JSON.stringify(f)), warn: (f: object, m: string) => lines.push(m + JSON.stringify(f)) };
    fake.on('GET', '/bad', (req) => ({ status: 500, body: `oops ${req.headers.authorization}` }));
    const doc = `tools:\n${tool('t', `{ url: "${fake.url}/bad" }`)}main:\n  - tool: t\n    secret_name: weather_api_key\n`;
    await runTask(doc, {}, deps(undefined, { logger }));
    expect(lines.join('\n')).toContain('[secret:weather_api_key]');
    expect(lines.join('\n')).not.toContain(VALUES.weather_api_key);
  });
});

describe('failing early and least privilege', () => {
  it('a missing secret fails the run before any request reaches the server', async () => {
    const doc = `tools:\n${tool('weather', `{ url: "${fake.url}/echo/w" }`)}steps:\n  - kind: evaluate\n    evaluate: { a: "1" }\n  - kind: tool_call\n    tool: weather\n    secret_name: weather_api_key\n`;
    const d = deps(['OPENAI_API_KEY']);
    const result = await runTask(doc, {}, d);
    expect(result).toMatchObject({ status: 'FAILED', steps: [], usedSecrets: [] });
    const at = locate(doc, 'weather_api_key');
    expect(result.error).toBe(`the task is invalid: secret 'weather_api_key' does not exist at steps[1].secret_name (line ${at.line}, column ${at.column})`);
    expect(result.problems).toHaveLength(1);
    expect(fake.requests).toEqual([]);
    expect(d.revealCalls).toEqual([]);
  });

  it('a secret that disappears between the check and the reveal still fails before any request', async () => {
    const d = deps();
    const doc = `tools:\n${tool('w', `{ url: "${fake.url}/echo/w" }`)}main:\n  - tool: w\n    secret_name: weather_api_key\n`;
    const result = await runTask(doc, {}, { ...d, secrets: { exists: d.secrets.exists, reveal: async () => new Map() } });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe("secret(s) 'weather_api_key' could not be read");
    expect(fake.requests).toEqual([]);
  });

  it('a bad expression anywhere fails the run before any request', async () => {
    const doc = `tools:\n${tool('w', `{ url: "${fake.url}/echo/w" }`)}main:\n  - tool: w\n  - evaluate: { x: "secrets[inputs.which]" }\n`;
    const result = await runTask(doc, { which: 'weather_api_key' }, deps());
    expect(result.status).toBe('FAILED');
    expect(result.error).toMatch(/secret names must be literal/);
    expect(fake.requests).toEqual([]);
  });

  it('reveals exactly the statically referenced secrets, once, in one call', async () => {
    const doc = `tools:
${tool('w', `{ url: "${fake.url}/echo/w", headers: { X-Extra: "$ secrets.stripe_account_id" } }`)}${tool('unused', `{ url: "${fake.url}/echo/u", headers: { X: "$ secrets.unused_but_present" } }`)}main:
  - tool: w
    secret_name: weather_api_key
  - tool: w
    secret_name: weather_api_key
  - prompt: "hi"
    model: gpt-4o
`;
    const d = deps();
    const result = await runTask(doc, {}, d);
    expect(result.status).toBe('SUCCEEDED');
    expect(d.revealCalls).toEqual([['weather_api_key', 'stripe_account_id', 'OPENAI_API_KEY']]);
    expect(d.existsCalls).toHaveLength(1);
    expect(result.usedSecrets).toEqual(['weather_api_key', 'stripe_account_id', 'OPENAI_API_KEY']);
  });

  it('errors from the secret store propagate (they are not task failures)', async () => {
    const d = deps();
    const broken = { ...d, secrets: { exists: async () => Promise.reject(new Error('database is down')), reveal: d.secrets.reveal } };
    await expect(runTask('main:\n  - evaluate: { a: "secrets.weather_api_key" }\n', {}, broken)).rejects.toThrow('database is down');
    expect(d.revealCalls).toEqual([]);
  });

  it('an outbound policy can refuse a URL', async () => {
    const doc = `tools:\n${tool('w', `{ url: "${fake.url}/echo/w" }`)}main:\n  - tool: w\n`;
    const result = await runTask(doc, {}, deps(undefined, { allowUrl: (url) => url.hostname !== '127.0.0.1' }));
    expect(result.steps[0]!.error).toMatch(/requests to 127\.0\.0\.1:\d+ are not allowed/);
    expect(fake.requests).toEqual([]);
  });

  it('input must be JSON data', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const result = await runTask('main:\n  - evaluate: { a: "1" }\n', cyclic, deps());
    expect(result).toMatchObject({ status: 'FAILED', error: 'the task input must be JSON data' });
  });
});

describe('limits', () => {
  it('a slow server hits the step timeout with a clear error', async () => {
    fake.on('GET', '/slow', { delayMs: 5_000, body: 'late' });
    const doc = `tools:\n${tool('slow', `{ url: "${fake.url}/slow" }`)}main:\n  - tool: slow\n  - evaluate: { never: "1" }\n`;
    const result = await runTask(doc, {}, deps(undefined, { limits: { stepTimeoutMs: 200, totalTimeoutMs: 10_000, maxResponseBytes: 1024, maxSteps: 5 } }));
    expect(result.status).toBe('FAILED');
    expect(result.steps).toEqual([{ index: 0, kind: 'tool_call', status: 'FAILED', output: null, error: 'the step timed out after 200 ms', errorCode: 'TASK_TIME_LIMIT' }]);
  });

  it("a tool's own timeout (seconds) shortens the step", async () => {
    fake.on('GET', '/slow', { delayMs: 5_000, body: 'late' });
    const doc = `tools:\n${tool('slow', `{ url: "${fake.url}/slow", timeout: 0.15 }`)}main:\n  - tool: slow\n`;
    const result = await runTask(doc, {}, deps());
    expect(result.steps[0]!.error).toBe("tool 'slow' timed out after 150 ms");
  });

  it('the total timeout stops a run of individually acceptable steps', async () => {
    fake.on('GET', '/slowish', { delayMs: 300, body: 'ok' });
    const doc = `tools:\n${tool('s', `{ url: "${fake.url}/slowish" }`)}main:\n  - tool: s\n  - tool: s\n  - tool: s\n`;
    const result = await runTask(doc, {}, deps(undefined, { limits: { stepTimeoutMs: 2_000, totalTimeoutMs: 450, maxResponseBytes: 1024, maxSteps: 5 } }));
    expect(result.status).toBe('FAILED');
    expect(result.steps.map((s) => s.status)).toEqual(['SUCCEEDED', 'FAILED']);
    expect(result.steps[1]!.error).toBe('the run exceeded its total time limit of 450 ms');
    expect(result.steps[1]!.errorCode).toBe('TASK_TIME_LIMIT');
  });

  it('an oversized streamed response is cut off while reading', async () => {
    fake.on('GET', '/huge', { stream: { chunk: 'x'.repeat(64 * 1024), count: 1_000 } });
    const doc = `tools:\n${tool('h', `{ url: "${fake.url}/huge" }`)}main:\n  - tool: h\n`;
    const result = await runTask(doc, {}, deps(undefined, { limits: { stepTimeoutMs: 5_000, totalTimeoutMs: 10_000, maxResponseBytes: 100_000, maxSteps: 5 } }));
    expect(result.steps[0]!.error).toBe('response exceeds the limit of 100000 bytes; stopped reading');
    expect(result.steps[0]!.errorCode).toBe('TASK_OUTPUT_LIMIT');
  });

  it('a declared content-length over the limit is refused before reading', async () => {
    fake.on('GET', '/big', { body: 'y'.repeat(5_000) });
    const doc = `tools:\n${tool('b', `{ url: "${fake.url}/big" }`)}main:\n  - tool: b\n`;
    const result = await runTask(doc, {}, deps(undefined, { limits: { stepTimeoutMs: 5_000, totalTimeoutMs: 10_000, maxResponseBytes: 1_000, maxSteps: 5 } }));
    expect(result.steps[0]!.error).toBe('response of 5000 bytes exceeds the limit of 1000 bytes');
  });

  it('redirects are not followed', async () => {
    fake.on('GET', '/moved', { status: 302, headers: { location: 'http://elsewhere.invalid/steal' }, body: '' });
    const doc = `tools:\n${tool('m', `{ url: "${fake.url}/moved" }`)}main:\n  - tool: m\n    secret_name: weather_api_key\n`;
    const result = await runTask(doc, {}, deps());
    expect(result.steps[0]!.error).toBe('HTTP 302 redirect to http://elsewhere.invalid/steal was not followed (redirects are never followed)');
    expect(fake.requests).toHaveLength(1);
  });

  it('a refused connection is a clear step error', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const doc = `tools:\n${tool('d', `{ url: "http://127.0.0.1:${closed}/nothing" }`)}main:\n  - tool: d\n`;
    const result = await runTask(doc, {}, deps());
    expect(result.steps[0]!.error).toMatch(/^request failed: .*ECONNREFUSED/);
  });

  it('maxSteps is enforced before running', async () => {
    const result = await runTask(`main:\n${'  - evaluate: { a: "1" }\n'.repeat(3)}`, {}, deps(undefined, { limits: { stepTimeoutMs: 1000, totalTimeoutMs: 1000, maxResponseBytes: 10, maxSteps: 2 } }));
    expect(result.error).toMatch(/the task has 3 steps; the limit is 2/);
  });
});

describe('data flow between steps', () => {
  it('steps[i].output, _, output names and text responses chain through a run', async () => {
    fake.on('GET', '/text', { body: 'plain text body' });
    fake.on('POST', '/json', (req) => ({ body: { received: req.json, n: 41 } }));
    const doc = `tools:
${tool('text', `{ url: "${fake.url}/text" }`)}${tool('json', `{ method: POST, url: "${fake.url}/json" }`)}steps:
  - kind: tool_call
    tool: text
    output: page
  - kind: tool_call
    tool: json
    arguments: { words: "$ len(page.split())", upper: "{{ _.upper() }}" }
  - kind: evaluate
    evaluate:
      answer: "steps[1].output.n + 1"
      first: "steps[0].output"
      prev_keys: "sorted(_.keys())"
      input_name: "inputs.name"
`;
    const result = await runTask(doc, { name: 'Ada' }, deps());
    expect(result.error).toBeNull();
    expect(only('POST', '/json').json).toEqual({ words: 3, upper: 'PLAIN TEXT BODY' });
    expect(result.steps.map((s) => s.output)).toEqual([
      'plain text body',
      { received: { words: 3, upper: 'PLAIN TEXT BODY' }, n: 41 },
      { answer: 42, first: 'plain text body', prev_keys: ['n', 'received'], input_name: 'Ada' },
    ]);
  });

  it('a failing step stops the run; later steps do not run', async () => {
    const doc = 'main:\n  - evaluate: { a: "1" }\n  - evaluate: { b: "1 / 0" }\n  - evaluate: { c: "3" }\n';
    const result = await runTask(doc, {}, deps());
    const at = locate(doc, '1 / 0');
    const error = `division by zero at main[1].evaluate.b (line ${at.line}, column ${at.column})`;
    expect(result.status).toBe('FAILED');
    expect(result.steps).toEqual([
      { index: 0, kind: 'evaluate', status: 'SUCCEEDED', output: { a: 1 }, error: null, errorCode: null },
      { index: 1, kind: 'evaluate', status: 'FAILED', output: null, error, errorCode: 'TASK_STEP_FAILED' },
    ]);
    expect(at).toEqual({ line: 3, column: 21 });
    expect(result.error).toBe(`step 1 (evaluate) failed: ${error}`);
  });

  it('accepts the task as an already parsed object', async () => {
    const result = await runTask({ main: [{ evaluate: { sum: '1 + 2' } }] }, undefined, deps());
    expect(result.steps[0]!.output).toEqual({ sum: 3 });
  });
});
