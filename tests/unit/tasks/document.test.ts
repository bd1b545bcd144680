import { parseTask } from '../../../src/tasks/document';
import type { PromptStep, ToolCallStep } from '../../../src/tasks/model';
import { comparable, JULEP_TASK, locate, SEED_TASK, SEED_TASK_COMPLETE } from './fixtures';
import { parse as parseYaml } from 'yaml';

const messages = (input: unknown) => parseTask(input).problems.map((p) => p.message);

describe('two document shapes, one model', () => {
  it('the seed shape (steps: + kind:) and the Julep shape (main: + key-shaped steps) normalise to the same model', () => {
    const seed = parseTask(SEED_TASK_COMPLETE);
    const julep = parseTask(JULEP_TASK);
    expect(seed.problems).toEqual([]);
    expect(julep.problems).toEqual([]);
    expect(seed.task!.shape).toBe('steps');
    expect(julep.task!.shape).toBe('main');
    expect(comparable(julep.task)).toEqual(comparable(seed.task));
  });

  it('YAML text, JSON text and an already parsed object give the same model', () => {
    const object = parseYaml(SEED_TASK_COMPLETE) as unknown;
    const fromYaml = parseTask(SEED_TASK_COMPLETE);
    const fromJson = parseTask(JSON.stringify(object, null, 2));
    const fromObject = parseTask(object);
    expect(fromJson.problems).toEqual([]);
    expect(fromObject.problems).toEqual([]);
    expect(comparable(fromJson.task)).toEqual(comparable(fromYaml.task));
    expect(comparable(fromObject.task)).toEqual(comparable(fromYaml.task));
  });

  it('reads the seed as documented', () => {
    const { task } = parseTask(SEED_TASK);
    const [weather, payments, prompt] = task!.steps as [ToolCallStep, ToolCallStep, PromptStep];
    expect(weather).toMatchObject({ kind: 'tool_call', tool: 'weather', secretName: { name: 'weather_api_key' } });
    expect(weather.arguments).toMatchObject({ kind: 'map', entries: [{ key: 'city', value: { kind: 'literal', value: 'Paris' } }] });
    expect(payments.secrets.map((b) => [b.alias, b.name])).toEqual([
      ['api_key', 'stripe_api_key'],
      ['account', 'stripe_account_id'],
    ]);
    expect(prompt).toMatchObject({ kind: 'prompt', model: 'gpt-4o', prompt: { kind: 'template' } });
    expect(prompt.templateVariables[0]).toMatchObject({ key: 'api_url', value: { kind: 'expression', offset: 2 } });
    const search = task!.tools.get('search')!;
    expect(search.auth).toEqual({ in: 'header', name: 'Authorization', prefix: 'Bearer ' });
    expect(search.headers).toMatchObject({ kind: 'map', entries: [{ key: 'Authorization', value: { kind: 'expression' } }] });
  });

  it('records positions for YAML input and paths for parsed objects', () => {
    const { task } = parseTask(SEED_TASK);
    const step = task!.steps[1] as ToolCallStep;
    expect(step.toolSite).toMatchObject({ path: 'steps[1].tool', ...locate(SEED_TASK, 'payments') });
    const fromObject = parseTask(parseYaml(SEED_TASK));
    expect((fromObject.task!.steps[1] as ToolCallStep).toolSite).toEqual({ path: 'steps[1].tool', line: null, column: null });
  });
});

describe('expression problems point into the document', () => {
  it('a plain scalar', () => {
    const doc = `steps:\n  - kind: evaluate\n    evaluate:\n      x: $ inputs.a +\n`;
    const [problem] = parseTask(doc).problems;
    expect(problem).toMatchObject({ path: 'steps[0].evaluate.x', line: 4, column: 22 });
    expect(problem!.message).toMatch(/invalid expression: unexpected end of expression/);
  });

  it('a double-quoted scalar with escapes before the error', () => {
    const doc = `steps:\n  - kind: evaluate\n    evaluate:\n      x: "$ f\\"\\\\t {inputs.a} {1 +* 2}\\""\n`;
    const [problem] = parseTask(doc).problems;
    expect(problem).toMatchObject({ path: 'steps[0].evaluate.x', ...locate(doc, '* 2') });
  });

  it('a {{ template }} field inside a longer string', () => {
    const doc = `steps:\n  - kind: prompt\n    model: gpt-4o\n    prompt: "Hello {{ inputs.name }}, {{ inputs.x ) }}"\n`;
    const problems = parseTask(doc).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: 'steps[0].prompt', ...locate(doc, ') }}') });
  });

  it('a block scalar spanning lines', () => {
    const doc = `steps:\n  - kind: evaluate\n    evaluate:\n      x: |\n        inputs.a +\n          inputs.b *\n`;
    const [problem] = parseTask(doc).problems;
    expect(problem).toMatchObject({ line: 7, column: 1 });
  });

  it('JSON text', () => {
    const doc = JSON.stringify({ steps: [{ kind: 'evaluate', evaluate: { x: '$ len(inputs' } }] }, null, 2);
    const [problem] = parseTask(doc).problems;
    expect(problem).toMatchObject({ path: 'steps[0].evaluate.x', line: 6, column: 27 }); // just past 'inputs'
  });

  it('an unclosed {{', () => {
    const doc = `steps:\n  - kind: prompt\n    model: gpt-4o\n    prompt: "Hi {{ inputs.x"\n`;
    expect(parseTask(doc).problems[0]).toMatchObject({ message: "unclosed '{{' in template (expected '}}')", ...locate(doc, '{{') });
  });
});

describe('structural problems', () => {
  it.each<[string, string | RegExp]>([
    ['steps:\n  - kind: foreach\n', /step kind 'foreach' is not supported/],
    ['steps:\n  - kind: dance\n', /step kind 'dance' is unknown/],
    ['main:\n  - foreach: { in: x, do: [] }\n', /step kind 'foreach' is not supported/],
    ['main:\n  - something: 1\n', /cannot tell what kind of step/],
    ['main:\n  - tool: a\n    prompt: b\n', /a step can only be one of tool, prompt/],
    ['steps:\n  - kind: tool_call\n    tool: t\n    argumets: {}\n', /unknown key 'argumets' in a tool_call step/],
    ['steps: []\nmain: []\n', /either 'steps:' or 'main:'/],
    ['name: x\n', /has no steps/],
    ['tools: []\nstepz: []\n', /unknown key 'stepz' in the task/],
    ['steps:\n  - kind: prompt\n    prompt: hi\n', /needs 'model:'/],
    ['steps:\n  - kind: prompt\n    model: "$ inputs.model"\n    prompt: hi\n', /model must be a literal/],
    ['steps:\n  - kind: prompt\n    model: gpt-4o\n    prompt: hi\n    settings: { api_key: sk-live-123 }\n', /settings.api_key must reference a secret/],
    ['steps:\n  - kind: prompt\n    model: gpt-4o\n    prompt: [{ role: robot, content: hi }]\n', /unknown message role 'robot'/],
    ['steps:\n  - kind: tool_call\n    tool: t\n    secret_name: "bad-name"\n', /not a valid secret name/],
    ['steps:\n  - kind: tool_call\n    tool: t\n    secrets: { "a-b": x }\n', /not a valid alias/],
    ['steps:\n  - kind: tool_call\n    tool: t\n    arguments: { url: "http://x", city: Paris }\n', /arguments mix request fields \(url\) with plain arguments \(city\)/],
    ['steps:\n  - kind: evaluate\n    evaluate: {}\n', /at least one/],
    ['steps:\n  - kind: evaluate\n    evaluate: { a: 1 }\n    output: secrets\n', /cannot be used as an output name/],
    ['tools:\n  - name: t\n    type: function\n    function: {}\nsteps:\n  - kind: evaluate\n    evaluate: { a: "1" }\n', /unknown key 'function' in a tool/],
    ['tools:\n  - name: t\n    type: integration\nsteps:\n  - kind: evaluate\n    evaluate: { a: "1" }\n', /tool type 'integration' is not supported/],
    ['tools:\n  - name: t\n    api_call: { url: "ftp://x" }\nsteps:\n  - kind: evaluate\n    evaluate: { a: "1" }\n', /only http and https/],
    ['tools:\n  - name: t\n    api_call: { url: "http://x", method: FETCH }\nsteps:\n  - kind: evaluate\n    evaluate: { a: "1" }\n', /unsupported HTTP method 'FETCH'/],
    ['tools:\n  - name: t\n    api_call: { url: "http://x", json: {}, data: {} }\nsteps:\n  - kind: evaluate\n    evaluate: { a: "1" }\n', /only one request body/],
    ['tools:\n  - name: t\n    api_call: { url: "http://x", auth: { header: X-Key, query: key } }\nsteps:\n  - kind: evaluate\n    evaluate: { a: "1" }\n', /either 'header' or 'query'/],
    ['tools:\n  - name: t\n    api_call: { url: "http://x", follow_redirects: true }\nsteps:\n  - kind: evaluate\n    evaluate: { a: "1" }\n', /redirects are never followed/],
    ['tools:\n  - name: t\n    api_call: { url: "http://x" }\n  - name: t\n    api_call: { url: "http://y" }\nsteps:\n  - kind: evaluate\n    evaluate: { a: "1" }\n', /defined twice/],
  ])('%j', (doc, message) => {
    expect(messages(doc)).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  it('YAML syntax errors carry a line and column', () => {
    const problems = parseTask('steps:\n  - kind: evaluate\n    evaluate: { a: 1\n').problems;
    expect(problems[0]!.message).toMatch(/^YAML syntax error/);
    expect(problems[0]!.line).toBeGreaterThanOrEqual(3);
    expect(problems[0]!.column).toBeGreaterThanOrEqual(1);
  });

  it('duplicate keys are a YAML error', () => {
    expect(messages('steps: []\nsteps: []\n')[0]).toMatch(/YAML syntax error: Map keys must be unique/);
  });

  it.each<[unknown, RegExp]>([
    ['', /empty/],
    [42, /must be a YAML or JSON document/],
    [null, /must be a YAML or JSON document/],
    ['- a\n- b\n', /a task must be a mapping/],
    [{ steps: [{ kind: 'evaluate', evaluate: { a: () => 1 } }] }, /plain JSON data/],
  ])('rejects %p', (input, message) => {
    expect(messages(input)).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  it('alias bombs are bounded by the node budget', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [*a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}]`);
    lines.push('steps: *a9');
    expect(messages(lines.join('\n'))[0]).toMatch(/more than 100000 nodes|nested more than/);
  });

  it('accepts Julep and seed informational keys', () => {
    const doc = `name: t\ndescription: d\ninput_schema: { type: object }\nmain:\n  - evaluate: { a: "1" }\n    label: first\n  - kind: evaluate\n    operation: compute\n    evaluate: { b: "2" }\n    output: two\n`;
    expect(messages(doc)).toEqual([]);
  });

  it('evaluate values are expressions with or without the $ prefix', () => {
    const { task, problems } = parseTask('main:\n  - evaluate: { a: "1 + 1", b: "$ 2 + 2", c: 3 }\n');
    expect(problems).toEqual([]);
    const step = task!.steps[0]!;
    expect(step.kind === 'evaluate' && step.values.map((v) => v.value.kind)).toEqual(['expression', 'expression', 'literal']);
  });
});
