import { validateTask, type ValidateTaskOptions } from '../../../src/tasks';
import { JULEP_TASK, locate, SEED_TASK, SEED_TASK_COMPLETE } from './fixtures';

/** A secret store with these names; records every lookup. */
function store(...names: string[]) {
  const calls: string[][] = [];
  const options: ValidateTaskOptions = {
    secretExists: async (asked) => {
      calls.push(asked);
      return new Set(asked.filter((n) => names.includes(n)));
    },
  };
  return { options, calls };
}

const ALL_SEED_SECRETS = ['weather_api_key', 'stripe_api_key', 'stripe_account_id', 'api_key', 'OPENAI_API_KEY', 'SEARCH_API_KEY'];

const evaluateTask = (expr: string, extra = '') => `steps:\n  - kind: evaluate\n    evaluate:\n      v: "${expr}"\n${extra}`;

describe('validateTask on the seed document (docs/task-language.md)', () => {
  it('lists its secrets and reports exactly the undefined payments tool', async () => {
    const { options, calls } = store(...ALL_SEED_SECRETS);
    const result = await validateTask(SEED_TASK, options);
    expect(result.problems).toEqual([
      { message: "unknown tool 'payments' (defined: weather, search)", path: 'steps[1].tool', ...locate(SEED_TASK, 'payments') },
    ]);
    expect(result.valid).toBe(false);
    // Step order; the LLM key last; SEARCH_API_KEY belongs to a tool no step calls.
    expect(result.secrets).toEqual(['weather_api_key', 'stripe_api_key', 'stripe_account_id', 'api_key', 'OPENAI_API_KEY']);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toEqual(expect.arrayContaining(['weather_api_key', 'api_key', 'OPENAI_API_KEY', 'openai_api_key']));
  });

  it('is valid once the payments tool is defined, in both shapes', async () => {
    for (const doc of [SEED_TASK_COMPLETE, JULEP_TASK]) {
      const result = await validateTask(doc, store(...ALL_SEED_SECRETS).options);
      expect(result).toEqual({
        valid: true,
        problems: [],
        warnings: expect.any(Array),
        secrets: ['weather_api_key', 'stripe_api_key', 'stripe_account_id', 'api_key', 'OPENAI_API_KEY'],
      });
    }
  });

  it('reports every missing secret where it is first used', async () => {
    const result = await validateTask(SEED_TASK_COMPLETE, store('weather_api_key', 'OPENAI_API_KEY').options);
    expect(result.valid).toBe(false);
    expect(result.problems).toEqual([
      { message: "secret 'stripe_api_key' does not exist (bound to alias 'api_key')", path: 'steps[1].secrets.api_key', ...locate(SEED_TASK_COMPLETE, 'stripe_api_key') },
      { message: "secret 'stripe_account_id' does not exist (bound to alias 'account')", path: 'steps[1].secrets.account', ...locate(SEED_TASK_COMPLETE, 'stripe_account_id') },
      {
        message: "secret 'api_key' does not exist",
        path: 'steps[2].template_variables.api_url',
        ...locate(SEED_TASK_COMPLETE, 'secrets.api_key}', 'template_variables'),
      },
    ]);
  });
});

describe('secret names must be literal', () => {
  it('rejects secrets[<expression>] with its position', async () => {
    const doc = evaluateTask('$ secrets[inputs.name]');
    const result = await validateTask(doc, store().options);
    expect(result.valid).toBe(false);
    expect(result.problems).toEqual([
      {
        message: "secret names must be literal: use secrets.NAME or secrets['NAME'], not secrets[<expression>]",
        path: 'steps[0].evaluate.v',
        ...locate(doc, 'inputs.name'),
      },
    ]);
    expect(result.secrets).toEqual([]);
  });

  it.each([
    ['$ secrets', /secrets can only be used as secrets.NAME/],
    ['$ json_dumps(secrets)', /secrets can only be used as secrets.NAME/],
    ["$ secrets.get('x')", /secrets.get\(...\) is not allowed/],
    ["$ secrets['a' + 'b']", /secret names must be literal/],
    ["$ secrets[f'key_{inputs.n}']", /secret names must be literal/],
    ["$ secrets['not-valid']", /'not-valid' is not a valid secret name/],
    ['$ secrets.constructor', /access to 'constructor' is not allowed/],
  ])('%s', async (expr, message) => {
    const result = await validateTask(evaluateTask(expr), store().options);
    expect(result.problems.map((p) => p.message)).toEqual([expect.stringMatching(message)]);
  });

  it('accepts both literal forms and lists them', async () => {
    const result = await validateTask(evaluateTask("$ secrets.alpha + secrets['beta'] + secrets.alpha"), store('alpha', 'beta').options);
    expect(result).toEqual({ valid: true, problems: [], warnings: [expect.objectContaining({ line: 4 })], secrets: ['alpha', 'beta'] });
  });

  it('finds secrets in tool definitions, headers, params, urls and bodies, resolved per call site', async () => {
    const doc = `tools:
  - name: t
    api_call:
      method: POST
      url: "https://api.example.com/{{ secrets.url_part }}"
      headers: { X-One: "$ secrets.k" }
      params: { p: "{{ secrets.in_params }}" }
      json: { nested: [ "$ secrets.in_body" ] }
steps:
  - kind: tool_call
    tool: t
    secrets: { k: aliased_target }
  - kind: tool_call
    tool: t
`;
    const result = await validateTask(doc, store('aliased_target', 'k', 'url_part', 'in_params', 'in_body').options);
    expect(result.valid).toBe(true);
    expect(result.secrets).toEqual(['aliased_target', 'url_part', 'in_params', 'in_body', 'k']);
  });

  it('a tool nobody calls contributes no secrets', async () => {
    const doc = `tools:\n  - name: unused\n    api_call: { url: "http://x", headers: { A: "$ secrets.never" } }\n${evaluateTask('1').slice(0)}`;
    const { options, calls } = store();
    const result = await validateTask(doc, options);
    expect(result).toEqual({ valid: true, problems: [], warnings: [], secrets: [] });
    expect(calls).toEqual([]);
  });
});

describe('other static checks', () => {
  it.each([
    ['$ steps[1].output', /steps\[1\] refers to a step that has not run yet \(this is step 0/],
    ['$ steps[-1].output', /steps\[-1\] is out of range/],
    ['$ nope', /name 'nope' is not defined \(available: secrets, inputs, input, steps, _\)/],
    ['$ nope(1)', /unknown function 'nope'/],
    ["$ 'x'.nope()", /unknown method 'nope'/],
    ['$ len', /'len' is a function/],
    ['$ later', /'later' is the output of step 1, which has not run yet at step 0/],
  ])('%s', async (expr, message) => {
    const doc = evaluateTask(expr, '  - kind: evaluate\n    evaluate: { x: "1" }\n    output: later\n');
    const result = await validateTask(doc, store().options);
    expect(result.problems.map((p) => p.message)).toEqual([expect.stringMatching(message)]);
  });

  it('earlier steps and output names are fine', async () => {
    const doc = `steps:
  - kind: evaluate
    evaluate: { a: "1" }
    output: first
  - kind: evaluate
    evaluate: { b: "steps[0].output.a + steps[-1].output.a + first.a + _.a" }
`;
    expect((await validateTask(doc, store().options)).problems).toEqual([]);
  });

  it('template variables are names inside the prompt only', async () => {
    const doc = `steps:
  - kind: prompt
    model: gpt-4o
    prompt: "Use {{ api_url }}"
    template_variables: { api_url: "https://x", other: "{{ api_url }}" }
`;
    const result = await validateTask(doc, store('OPENAI_API_KEY').options);
    expect(result.problems.map((p) => p.message)).toEqual([expect.stringMatching(/name 'api_url' is not defined/)]);
    expect(result.problems[0]!.path).toBe('steps[0].template_variables.other');
  });

  it('a tool without a url needs the call to pass one', async () => {
    const doc = `tools:\n  - name: t\n    api_call: { method: GET }\nsteps:\n  - kind: tool_call\n    tool: t\n    arguments: { params: { a: 1 } }\n  - kind: tool_call\n    tool: t\n    arguments: { url: "http://x" }\n`;
    const result = await validateTask(doc, store().options);
    expect(result.problems.map((p) => [p.message, p.path])).toEqual([["tool 't' has no url and this call does not pass one (arguments.url)", 'steps[0].arguments']]);
  });

  it('enforces maxSteps', async () => {
    const doc = `steps:\n${'  - kind: evaluate\n    evaluate: { a: "1" }\n'.repeat(4)}`;
    const result = await validateTask(doc, { ...store().options, maxSteps: 3 });
    expect(result.problems.map((p) => p.message)).toEqual(['the task has 4 steps; the limit is 3']);
  });
});

describe('LLM keys', () => {
  const prompt = (model: string, extra = '') => `steps:\n  - kind: prompt\n    model: ${model}\n    prompt: hi\n${extra}`;

  it.each([
    ['gpt-4o', 'OPENAI_API_KEY'],
    ['o1', 'OPENAI_API_KEY'],
    ['o3-mini', 'OPENAI_API_KEY'],
    ['o4-mini', 'OPENAI_API_KEY'],
    ['chatgpt-4o-latest', 'OPENAI_API_KEY'],
    ['claude-3-5-sonnet-latest', 'ANTHROPIC_API_KEY'],
    ['gemini-1.5-pro', 'GEMINI_API_KEY'],
    ['mistral-large-latest', 'MISTRAL_API_KEY'],
    ['codestral-latest', 'MISTRAL_API_KEY'],
    ['groq/llama-3.1-70b-versatile', 'GROQ_API_KEY'],
    ['openrouter/anthropic/claude-3.5-sonnet', 'OPENROUTER_API_KEY'],
  ])('%s uses %s', async (model, key) => {
    const result = await validateTask(prompt(model), store(key).options);
    expect(result).toEqual({ valid: true, problems: [], warnings: [], secrets: [key] });
  });

  it('falls back to the lower-case conventional name', async () => {
    expect((await validateTask(prompt('gpt-4o'), store('openai_api_key').options)).secrets).toEqual(['openai_api_key']);
  });

  it('prefers the upper-case name when both exist', async () => {
    expect((await validateTask(prompt('gpt-4o'), store('openai_api_key', 'OPENAI_API_KEY').options)).secrets).toEqual(['OPENAI_API_KEY']);
  });

  it('a key the step names wins over the conventional name', async () => {
    const bySecretName = await validateTask(prompt('gpt-4o', '    secret_name: team_openai\n'), store('team_openai', 'OPENAI_API_KEY').options);
    expect(bySecretName.secrets).toEqual(['team_openai']);
    const bySettings = await validateTask(prompt('gpt-4o', '    settings: { api_key: "$ secrets.other_key", temperature: 0 }\n'), store('other_key', 'OPENAI_API_KEY').options);
    expect(bySettings).toEqual({ valid: true, problems: [], warnings: [], secrets: ['other_key'] });
  });

  it('a server default key stands in when the developer has none', async () => {
    const result = await validateTask(prompt('gpt-4o'), { ...store().options, llm: { defaultKeys: { openai: 'sk-server' } } });
    expect(result).toEqual({ valid: true, problems: [], warnings: [], secrets: [] });
  });

  it('no key at all is a problem naming the secret to create', async () => {
    const doc = prompt('claude-3-opus-20240229');
    const result = await validateTask(doc, store().options);
    expect(result.problems).toEqual([
      {
        message: "no API key for model 'claude-3-opus-20240229': create a secret named ANTHROPIC_API_KEY (or set secret_name or settings.api_key on the step)",
        path: 'steps[0].model',
        ...locate(doc, 'claude'),
      },
    ]);
  });

  it('a named key that does not exist is a problem (no silent fallback)', async () => {
    const result = await validateTask(prompt('gpt-4o', '    secret_name: missing_key\n'), store('OPENAI_API_KEY').options);
    expect(result.problems.map((p) => p.message)).toEqual(["secret 'missing_key' does not exist"]);
  });

  it('unknown models need a provider', async () => {
    const unknown = await validateTask(prompt('llama-local'), store().options);
    expect(unknown.problems.map((p) => p.message)).toEqual([expect.stringMatching(/unknown model 'llama-local'.*provider/)]);
    const withProvider = await validateTask(prompt('llama-local', '    provider: openai\n'), store('OPENAI_API_KEY').options);
    expect(withProvider.valid).toBe(true);
  });

  it('secret_name and settings.api_key together are a problem', async () => {
    const result = await validateTask(prompt('gpt-4o', '    secret_name: a\n    settings: { api_key: "$ secrets.b" }\n'), store('a', 'b').options);
    expect(result.problems.map((p) => p.message)).toEqual(['give either secret_name or settings.api_key for the LLM key, not both']);
  });
});

describe('taint warnings', () => {
  it('warns where a step output will be computed from a secret, following outputs into later steps', async () => {
    const doc = `steps:
  - kind: evaluate
    evaluate:
      plain: "$ inputs.n"
      key: "$ upper(secrets.k)"
  - kind: evaluate
    evaluate:
      again: "$ _['key']"
  - kind: evaluate
    evaluate:
      clean: "$ 1 + 1"
`;
    const result = await validateTask(doc, { secretExists: async (names) => new Set(names) });
    expect(result.valid).toBe(true);
    expect(result.warnings.map((w) => [w.path, w.line])).toEqual([
      ['steps[0].evaluate.key', 5],
      ['steps[1].evaluate.again', 8],
    ]);
  });
});
