/**
 * Task documents: parsing and normalisation to the model in model.ts.
 *
 * A task is YAML or JSON text, or an already parsed object. Two shapes are accepted and
 * produce the same model: the seed shape (`steps:` whose items say `kind:`) and Julep's
 * runtime shape (`main:` whose items are key-shaped: `- tool: NAME`, `- prompt: ...`,
 * `- evaluate: {...}`). Apart from `kind:` both shapes use the same keys, and a step
 * without `kind:` is recognised by its key in either list.
 *
 * Top level
 *   tools:            list of tool definitions (below)
 *   steps: | main:    list of steps (exactly one of the two)
 *   name, description, input_schema, metadata, inherit_tools: accepted, informational
 *
 * Steps (any kind may also carry label / name / description / operation, informational, and
 *   output: NAME, which makes the step's output a bare name for later steps)
 *   tool_call  tool: NAME                 required; a tool from `tools:`
 *              arguments: {...}           see "Arguments" below
 *              secret_name: SECRET        one credential, placed as the tool's `auth` says
 *              secrets: {alias: SECRET}   used as secrets.alias in the step and its tool
 *   prompt     prompt: "text" | [{role: system|user|assistant, content}]
 *              model: gpt-4o              literal (or settings.model): the LLM key is chosen
 *                                         before the run, so it cannot be computed
 *              provider: openai           optional (or settings.provider), for model names
 *                                         the table does not know
 *              settings: {...}            passed to the provider (temperature, max_tokens ...)
 *                                         settings.api_key: "$ secrets.X" names the key
 *              template_variables: {...}  evaluated first, visible by name in `prompt`
 *              secret_name: SECRET        the LLM key (see llm-providers.ts for the default)
 *              secrets: {alias: SECRET}
 *              unwrap: accepted; the output is always the assistant's text
 *   evaluate   evaluate: {name: expr}     every string value is an expression, with or
 *                                         without `$ `; the output is the mapping
 *              secrets: {alias: SECRET}
 *
 * Tools
 *   - name: NAME
 *     type: api_call                      the only type that runs here
 *     api_call:
 *       method: GET                       default GET
 *       url: https://...                  templates / expressions allowed; may be left to
 *                                         the calls (arguments.url)
 *       headers: {Name: value}
 *       params: {k: v}                    (or query:) query-string parameters
 *       json: {...} | body: "text" | data: {k: v}   one of: JSON, raw (content: alias), form
 *       timeout: 10                       seconds; never more than the runner's step limit
 *       auth:                             where a step's `secret_name` value is put:
 *         (absent) or {type: bearer}      Authorization: Bearer <value>
 *         {header: X-Api-Key}             X-Api-Key: <value>
 *         {header: Authorization, prefix: "Token "}   Authorization: Token <value>
 *         {query: key}                    ?key=<value>
 *   Redirects are never followed, so a credential cannot be forwarded to another host.
 *
 * Arguments (tool_call steps, api_call tools): a mapping in one of two styles
 *   request overrides (Julep): every key is one of method, url, headers, params, query,
 *     json, body, content, data, timeout, auth. headers and params merge over the tool's
 *     (by key); the others replace the tool's value. auth: {username, password} sends
 *     HTTP Basic credentials.
 *   plain arguments: no key from that list. For GET/HEAD/DELETE/OPTIONS they are added to
 *     the query string; for POST/PUT/PATCH they are merged into the tool's json body.
 *   Mixing the styles is a problem, found statically when the keys are literal.
 *
 * Outputs: tool_call -> the response body, parsed when it is JSON, else text (a non-2xx
 * status or a redirect fails the step); prompt -> the assistant's text; evaluate -> the
 * mapping. A failed step ends the run.
 *
 * Values: `$ expr` is an expression, `{{ expr }}` inside a string is a template field,
 * anything else is literal (template.ts). Names in expressions: secrets, inputs (alias
 * input), steps (steps[i].output / .input), _ (previous step's output, or the task input in
 * the first step), the `output:` names of earlier steps, and, inside a prompt, the step's
 * template_variables.
 */

import type { ExpressionLimits } from './expression';
import { isForbiddenKey } from './expression/values';
import {
  DEFAULT_CREDENTIAL_PLACEMENT, HTTP_METHODS, type ApiCallTool, type CredentialPlacement, type Entry, type EvaluateStep,
  type HttpMethod, type Named, type PromptStep, type SecretBinding, type Step, type Task, type ToolCallStep,
} from './model';
import { Problems, type Site, type TaskProblem } from './problems';
import { DEFAULT_LOAD_LIMITS, loadSource, type LEntry, type LNode, type LoadLimits } from './source';
import { compileValue, type TemplateValue } from './template';

export const SECRET_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Names with a fixed meaning in expressions; template variables may not shadow them. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['secrets', 'inputs', 'input', 'steps', '_']);

export const REQUEST_FIELDS: ReadonlySet<string> = new Set(['method', 'url', 'headers', 'params', 'query', 'json', 'body', 'content', 'data', 'timeout', 'auth']);

const STEP_KINDS = ['tool_call', 'prompt', 'evaluate'] as const;

/** Julep step kinds this engine recognises but does not run; named in the problem. */
const UNSUPPORTED_JULEP_KINDS = [
  'if_else', 'switch', 'foreach', 'map', 'parallel', 'sleep', 'return', 'yield', 'log', 'get', 'set', 'wait_for_input',
  'error', 'workflow', 'over',
];

const INFORMATIONAL_TOP = new Set(['name', 'description', 'input_schema', 'metadata', 'inherit_tools']);
const INFORMATIONAL_STEP = new Set(['label', 'name', 'description', 'operation']);

export interface ParseOptions {
  readonly load?: Partial<LoadLimits>;
  readonly expression?: Partial<ExpressionLimits>;
}

export interface ParseResult {
  /** The model, even when there are problems (best effort, for analysis); null if unusable. */
  readonly task: Task | null;
  readonly problems: readonly TaskProblem[];
}

export function parseTask(input: unknown, options: ParseOptions = {}): ParseResult {
  const loaded = loadSource(input, { ...DEFAULT_LOAD_LIMITS, ...(options.load ?? {}) });
  if (loaded.root === null) return { task: null, problems: loaded.problems };
  const problems = new Problems();
  problems.list.push(...loaded.problems);
  const task = new Normaliser(problems, options.expression).task(loaded.root);
  return { task, problems: problems.list };
}

type LMap = Extract<LNode, { kind: 'map' }>;

class Normaliser {
  constructor(
    private readonly problems: Problems,
    private readonly limits: Partial<ExpressionLimits> | undefined,
  ) {}

  private value(node: LNode, stringsAreExpressions = false): TemplateValue {
    return compileValue(node, this.problems, { limits: this.limits, stringsAreExpressions });
  }

  private asMap(node: LNode, what: string): LMap | null {
    if (node.kind === 'map') return node;
    this.problems.add(node.site, `${what} must be a mapping`);
    return null;
  }

  private entry(map: LMap, key: string): LEntry | undefined {
    return map.entries.find((e) => e.key === key);
  }

  private literalString(node: LNode | undefined, what: string): { value: string; site: Site } | null {
    if (node === undefined) return null;
    if (node.kind === 'scalar' && typeof node.value === 'string' && node.value !== '') {
      return { value: node.value, site: node.site };
    }
    this.problems.add(node.site, `${what} must be a non-empty string`);
    return null;
  }

  private checkKeys(map: LMap, allowed: ReadonlySet<string>, context: string): void {
    for (const e of map.entries) {
      if (!allowed.has(e.key)) this.problems.add(e.keySite, `unknown key '${e.key}' in ${context}`);
    }
  }

  task(root: LNode): Task | null {
    const map = this.asMap(root, 'a task');
    if (map === null) return null;
    this.checkKeys(map, new Set([...INFORMATIONAL_TOP, 'tools', 'steps', 'main']), 'the task');
    const name = this.entry(map, 'name');
    const stepsEntry = this.entry(map, 'steps');
    const mainEntry = this.entry(map, 'main');
    if (stepsEntry !== undefined && mainEntry !== undefined) {
      this.problems.add(mainEntry.keySite, "a task has either 'steps:' or 'main:', not both");
    }
    const listEntry = stepsEntry ?? mainEntry;
    if (listEntry === undefined) {
      this.problems.add(map.site, "the task has no steps: add 'steps:' (or Julep's 'main:')");
    }
    const tools = this.tools(this.entry(map, 'tools')?.value);
    const steps: Step[] = [];
    if (listEntry !== undefined) {
      if (listEntry.value.kind !== 'seq') this.problems.add(listEntry.value.site, `'${listEntry.key}' must be a list of steps`);
      else {
        if (listEntry.value.items.length === 0) this.problems.add(listEntry.value.site, 'the task has no steps');
        listEntry.value.items.forEach((item, i) => {
          const step = this.step(item, i);
          if (step !== null) steps.push(step);
        });
      }
    }
    return {
      shape: stepsEntry !== undefined ? 'steps' : 'main',
      name: name?.value.kind === 'scalar' && typeof name.value.value === 'string' ? name.value.value : null,
      tools,
      steps,
    };
  }

  // ---- tools --------------------------------------------------------------------------------

  private tools(node: LNode | undefined): Map<string, ApiCallTool> {
    const tools = new Map<string, ApiCallTool>();
    if (node === undefined || (node.kind === 'scalar' && node.value === null)) return tools;
    if (node.kind !== 'seq') {
      this.problems.add(node.site, "'tools' must be a list");
      return tools;
    }
    for (const item of node.items) {
      const map = this.asMap(item, 'a tool');
      if (map === null) continue;
      this.checkKeys(map, new Set(['name', 'type', 'api_call', 'description']), 'a tool');
      const name = this.literalString(this.entry(map, 'name')?.value, 'a tool name');
      if (name === null) {
        if (this.entry(map, 'name') === undefined) this.problems.add(map.site, "a tool needs a 'name'");
        continue;
      }
      if (tools.has(name.value)) {
        this.problems.add(name.site, `tool '${name.value}' is defined twice`);
        continue;
      }
      const type = this.entry(map, 'type');
      const typeValue = type?.value.kind === 'scalar' ? type.value.value : undefined;
      if (type !== undefined && typeValue !== 'api_call') {
        this.problems.add(type.value.site, `tool type '${String(typeValue)}' is not supported; only 'api_call' tools can run here`);
        continue;
      }
      const apiCall = this.entry(map, 'api_call');
      if (apiCall === undefined) {
        this.problems.add(map.site, `tool '${name.value}' needs an 'api_call' definition`);
        continue;
      }
      const tool = this.apiCall(name.value, map.site, apiCall.value);
      if (tool !== null) tools.set(name.value, tool);
    }
    return tools;
  }

  private apiCall(name: string, site: Site, node: LNode): ApiCallTool | null {
    const map = this.asMap(node, 'api_call');
    if (map === null) return null;
    this.checkKeys(
      map,
      new Set(['method', 'url', 'headers', 'params', 'query', 'json', 'body', 'content', 'data', 'timeout', 'auth', 'follow_redirects', 'description', 'schema']),
      'api_call',
    );
    const get = (key: string) => this.entry(map, key)?.value;
    let method: HttpMethod = 'GET';
    const methodNode = get('method');
    if (methodNode !== undefined) {
      const m = this.literalString(methodNode, 'method');
      const upper = m?.value.toUpperCase();
      if (upper !== undefined && (HTTP_METHODS as readonly string[]).includes(upper)) method = upper as HttpMethod;
      else if (m !== null) this.problems.add(m.site, `unsupported HTTP method '${m.value}'`);
    }
    const urlNode = get('url');
    const url = urlNode === undefined ? null : this.value(urlNode);
    if (url?.kind === 'literal') {
      if (typeof url.value === 'string') checkUrl(url.value, url.site, this.problems);
      else this.problems.add(url.site, 'url must be a string');
    }
    if (get('params') !== undefined && get('query') !== undefined) this.problems.add(map.site, "use either 'params' or 'query', not both");
    const bodies = ['json', 'body', 'content', 'data'].filter((k) => get(k) !== undefined);
    if (bodies.length > 1) this.problems.add(map.site, `only one request body is allowed (found ${bodies.join(', ')})`);
    const followRedirects = get('follow_redirects');
    if (followRedirects?.kind === 'scalar' && followRedirects.value === true) {
      this.problems.add(followRedirects.site, 'follow_redirects is not supported: redirects are never followed, so a credential cannot reach another host');
    }
    const optional = (key: string) => {
      const n = get(key);
      return n === undefined ? null : this.value(n);
    };
    return {
      name,
      type: 'api_call',
      site,
      method,
      url,
      headers: optional('headers'),
      query: optional('params') ?? optional('query'),
      json: optional('json'),
      body: optional('body') ?? optional('content'),
      form: optional('data'),
      timeoutMs: this.timeout(get('timeout')),
      auth: this.auth(get('auth')),
    };
  }

  private timeout(node: LNode | undefined): number | null {
    if (node === undefined) return null;
    if (node.kind === 'scalar' && typeof node.value === 'number' && node.value > 0) return Math.round(node.value * 1000);
    this.problems.add(node.site, 'timeout must be a positive number of seconds');
    return null;
  }

  private auth(node: LNode | undefined): CredentialPlacement {
    if (node === undefined) return DEFAULT_CREDENTIAL_PLACEMENT;
    const map = this.asMap(node, 'auth');
    if (map === null) return DEFAULT_CREDENTIAL_PLACEMENT;
    this.checkKeys(map, new Set(['type', 'header', 'prefix', 'query']), 'auth');
    const type = this.literalString(this.entry(map, 'type')?.value, 'auth.type');
    const header = this.literalString(this.entry(map, 'header')?.value, 'auth.header');
    const query = this.literalString(this.entry(map, 'query')?.value, 'auth.query');
    const prefixNode = this.entry(map, 'prefix')?.value;
    let prefix = '';
    if (prefixNode !== undefined) {
      if (prefixNode.kind === 'scalar' && typeof prefixNode.value === 'string') prefix = prefixNode.value;
      else this.problems.add(prefixNode.site, 'auth.prefix must be a string');
    }
    if (type !== null && type.value !== 'bearer') this.problems.add(type.site, `auth type '${type.value}' is not supported (use bearer, header or query)`);
    if (header !== null && query !== null) this.problems.add(map.site, "auth takes either 'header' or 'query', not both");
    if (query !== null) return { in: 'query', name: query.value };
    if (header !== null) {
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header.value)) this.problems.add(header.site, `'${header.value}' is not a valid header name`);
      return { in: 'header', name: header.value, prefix };
    }
    return DEFAULT_CREDENTIAL_PLACEMENT;
  }

  // ---- steps ----------------------------------------------------------------------------------

  private step(node: LNode, index: number): Step | null {
    const map = this.asMap(node, 'a step');
    if (map === null) return null;
    const kind = this.kindOf(map);
    if (kind === null) return null;
    const common = ['kind', 'secret_name', 'secrets', 'output', ...INFORMATIONAL_STEP];
    const base = {
      index,
      site: map.site,
      label: this.optionalText(map, 'label') ?? this.optionalText(map, 'name'),
      outputName: this.outputName(this.entry(map, 'output')?.value),
      secretName: this.secretName(this.entry(map, 'secret_name')?.value),
      secrets: this.bindings(this.entry(map, 'secrets')?.value),
    };
    switch (kind) {
      case 'tool_call':
        this.checkKeys(map, new Set([...common, 'tool', 'arguments']), 'a tool_call step');
        return this.toolCall(map, base);
      case 'prompt':
        this.checkKeys(map, new Set([...common, 'prompt', 'model', 'provider', 'settings', 'template_variables', 'unwrap', 'disable_cache']), 'a prompt step');
        return this.prompt(map, base);
      case 'evaluate':
        this.checkKeys(map, new Set([...common, 'evaluate']), 'an evaluate step');
        return this.evaluate(map, base);
    }
  }

  private outputName(node: LNode | undefined): Named | null {
    const s = this.literalString(node, 'output');
    if (s === null) return null;
    if (!IDENTIFIER.test(s.value) || RESERVED_NAMES.has(s.value) || isForbiddenKey(s.value)) {
      this.problems.add(s.site, `'${s.value}' cannot be used as an output name`);
      return null;
    }
    return { name: s.value, site: s.site };
  }

  private optionalText(map: LMap, key: string): string | null {
    const v = this.entry(map, key)?.value;
    return v?.kind === 'scalar' && typeof v.value === 'string' ? v.value : null;
  }

  private kindOf(map: LMap): (typeof STEP_KINDS)[number] | null {
    const explicit = this.entry(map, 'kind');
    if (explicit !== undefined) {
      const v = explicit.value.kind === 'scalar' ? explicit.value.value : null;
      if (typeof v === 'string' && (STEP_KINDS as readonly string[]).includes(v)) return v as (typeof STEP_KINDS)[number];
      const hint = typeof v === 'string' && UNSUPPORTED_JULEP_KINDS.includes(v) ? ' is not supported' : ' is unknown';
      this.problems.add(explicit.value.site, `step kind '${String(v)}'${hint}; use tool_call, prompt or evaluate`);
      return null;
    }
    const found = map.entries.filter((e) => e.key === 'tool' || e.key === 'prompt' || e.key === 'evaluate');
    if (found.length === 1) return found[0]!.key === 'tool' ? 'tool_call' : (found[0]!.key as 'prompt' | 'evaluate');
    if (found.length > 1) {
      this.problems.add(map.site, `a step can only be one of ${found.map((e) => e.key).join(', ')}`);
      return null;
    }
    const unsupported = map.entries.find((e) => UNSUPPORTED_JULEP_KINDS.includes(e.key));
    if (unsupported !== undefined) {
      this.problems.add(unsupported.keySite, `step kind '${unsupported.key}' is not supported; use tool_call, prompt or evaluate`);
    } else {
      this.problems.add(map.site, "cannot tell what kind of step this is: add 'kind: tool_call|prompt|evaluate' or use a 'tool:', 'prompt:' or 'evaluate:' key");
    }
    return null;
  }

  private secretName(node: LNode | undefined): Named | null {
    const s = this.literalString(node, 'secret_name');
    if (s === null) return null;
    if (!SECRET_NAME_PATTERN.test(s.value)) {
      this.problems.add(s.site, `'${s.value}' is not a valid secret name (letters, digits and _, starting with a letter)`);
      return null;
    }
    return { name: s.value, site: s.site };
  }

  private bindings(node: LNode | undefined): SecretBinding[] {
    if (node === undefined) return [];
    const map = this.asMap(node, "'secrets'");
    if (map === null) return [];
    const out: SecretBinding[] = [];
    for (const e of map.entries) {
      if (!IDENTIFIER.test(e.key)) {
        this.problems.add(e.keySite, `'${e.key}' is not a valid alias (use letters, digits and _)`);
        continue;
      }
      const target = this.secretName(e.value);
      if (target !== null) out.push({ alias: e.key, name: target.name, site: target.site });
    }
    return out;
  }

  private toolCall(map: LMap, base: Omit<ToolCallStep, 'kind' | 'tool' | 'toolSite' | 'arguments'>): ToolCallStep | null {
    const toolEntry = this.entry(map, 'tool');
    if (toolEntry === undefined) {
      this.problems.add(map.site, "a tool_call step needs 'tool: NAME'");
      return null;
    }
    const tool = this.literalString(toolEntry.value, 'tool');
    if (tool === null) return null;
    const argsNode = this.entry(map, 'arguments')?.value;
    const args = argsNode === undefined ? null : this.value(argsNode);
    if (args !== null && args.kind === 'map') {
      const keys = args.entries.map((e) => e.key);
      const overrides = keys.filter((k) => REQUEST_FIELDS.has(k));
      if (overrides.length > 0 && overrides.length < keys.length) {
        this.problems.add(
          args.site,
          `arguments mix request fields (${overrides.join(', ')}) with plain arguments (${keys.filter((k) => !REQUEST_FIELDS.has(k)).join(', ')}); use one style`,
        );
      }
    } else if (args !== null && args.kind !== 'expression' && args.kind !== 'template' && !(args.kind === 'literal' && args.value === null)) {
      this.problems.add(args.site, 'arguments must be a mapping');
    }
    return { ...base, kind: 'tool_call', tool: tool.value, toolSite: tool.site, arguments: args };
  }

  private entries(node: LNode | undefined, what: string, stringsAreExpressions = false): Entry[] {
    if (node === undefined) return [];
    const map = this.asMap(node, what);
    if (map === null) return [];
    return map.entries.map((e) => ({ key: e.key, keySite: e.keySite, value: this.value(e.value, stringsAreExpressions) }));
  }

  private prompt(map: LMap, base: Omit<PromptStep, 'kind' | 'model' | 'modelSite' | 'provider' | 'prompt' | 'templateVariables' | 'settings' | 'apiKey'>): PromptStep | null {
    const promptNode = this.entry(map, 'prompt')?.value;
    if (promptNode === undefined) {
      this.problems.add(map.site, "a prompt step needs 'prompt:'");
      return null;
    }
    const prompt = this.value(promptNode);
    if (prompt.kind === 'list') this.checkMessages(prompt);
    else if (prompt.kind === 'map' || (prompt.kind === 'literal' && typeof prompt.value !== 'string')) {
      this.problems.add(prompt.site, 'prompt must be a string or a list of {role, content} messages');
    }

    const settingsAll = this.entries(this.entry(map, 'settings')?.value, 'settings');
    const settings = settingsAll.filter((e) => e.key !== 'model' && e.key !== 'api_key' && e.key !== 'provider');
    const apiKey = settingsAll.find((e) => e.key === 'api_key')?.value ?? null;
    if (apiKey !== null && apiKey.kind !== 'expression' && apiKey.kind !== 'template') {
      this.problems.add(apiKey.site, 'settings.api_key must reference a secret, e.g. "$ secrets.MY_KEY"; never put a key in a task');
    }

    let model: { value: string; site: Site } | null = null;
    const stepModel = this.entry(map, 'model');
    const settingsModel = settingsAll.find((e) => e.key === 'model');
    if (stepModel !== undefined) model = this.literalModel(stepModel.value);
    else if (settingsModel !== undefined) model = this.literalModelValue(settingsModel.value);
    if (stepModel === undefined && settingsModel === undefined) this.problems.add(map.site, "a prompt step needs 'model:' (or settings.model)");

    const providerNode = this.entry(map, 'provider')?.value;
    const settingsProvider = settingsAll.find((e) => e.key === 'provider')?.value;
    let provider = providerNode === undefined ? null : this.literalString(providerNode, 'provider');
    if (provider === null && settingsProvider !== undefined) {
      if (settingsProvider.kind === 'literal' && typeof settingsProvider.value === 'string') provider = { value: settingsProvider.value, site: settingsProvider.site };
      else this.problems.add(settingsProvider.site, 'settings.provider must be a literal provider name');
    }

    const templateVariables = this.entries(this.entry(map, 'template_variables')?.value, 'template_variables');
    for (const v of templateVariables) {
      if (!IDENTIFIER.test(v.key) || RESERVED_NAMES.has(v.key) || isForbiddenKey(v.key)) {
        this.problems.add(v.keySite, `'${v.key}' cannot be used as a template variable name`);
      }
    }
    return {
      ...base,
      kind: 'prompt',
      model: model?.value ?? null,
      modelSite: model?.site ?? stepModel?.value.site ?? settingsModel?.value.site ?? map.site,
      provider: provider?.value ?? null,
      prompt,
      templateVariables,
      settings,
      apiKey,
    };
  }

  private literalModel(node: LNode): { value: string; site: Site } | null {
    if (node.kind === 'scalar' && typeof node.value === 'string' && node.value !== '' && !node.value.startsWith('$ ') && !node.value.includes('{{')) {
      return { value: node.value, site: node.site };
    }
    this.problems.add(node.site, 'model must be a literal model name: the LLM key is chosen before the run');
    return null;
  }

  private literalModelValue(value: TemplateValue): { value: string; site: Site } | null {
    if (value.kind === 'literal' && typeof value.value === 'string' && value.value !== '') return { value: value.value, site: value.site };
    this.problems.add(value.site, 'model must be a literal model name: the LLM key is chosen before the run');
    return null;
  }

  private checkMessages(prompt: Extract<TemplateValue, { kind: 'list' }>): void {
    for (const item of prompt.items) {
      if (item.kind !== 'map') {
        if (item.kind === 'literal') this.problems.add(item.site, 'each prompt message must be a mapping with role and content');
        continue;
      }
      const role = item.entries.find((e) => e.key === 'role')?.value;
      const content = item.entries.find((e) => e.key === 'content');
      if (role === undefined || content === undefined) {
        this.problems.add(item.site, 'each prompt message needs role and content');
        continue;
      }
      if (role.kind === 'literal' && !['system', 'user', 'assistant', 'developer'].includes(String(role.value))) {
        this.problems.add(role.site, `unknown message role '${String(role.value)}' (use system, user or assistant)`);
      }
      for (const e of item.entries) {
        if (e.key !== 'role' && e.key !== 'content' && e.key !== 'name') this.problems.add(e.value.site, `unknown key '${e.key}' in a prompt message`);
      }
    }
  }

  private evaluate(map: LMap, base: Omit<EvaluateStep, 'kind' | 'values'>): EvaluateStep | null {
    const node = this.entry(map, 'evaluate')?.value;
    if (node === undefined) {
      this.problems.add(map.site, "an evaluate step needs 'evaluate: {name: expression}'");
      return null;
    }
    const values = this.entries(node, 'evaluate', true);
    if (node.kind === 'map' && values.length === 0) this.problems.add(node.site, 'evaluate needs at least one name: expression');
    return { ...base, kind: 'evaluate', values };
  }
}

function checkUrl(value: string, site: Site, problems: Problems): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.add(site, `'${value}' is not a valid URL`);
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.add(site, `only http and https URLs are supported, not ${url.protocol}`);
}
