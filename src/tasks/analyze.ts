import type { Node } from './expression';
import { childrenOf } from './expression/ast';
import { isForbiddenKey } from './expression/values';
import { FUNCTIONS, METHODS } from './expression';
import { SECRET_NAME_PATTERN } from './document';
import { keyCandidates, routeModel, type LlmProvider } from './llm-providers';
import type { SecretBinding, Step, Task } from './model';
import { problemAt, Problems, type Site, type TaskProblem } from './problems';
import { expressionsIn, type TemplateValue } from './template';

/**
 * Static analysis: which secrets a task would decrypt, and what is wrong with it, without
 * running anything. Least privilege depends on this being complete, which is why secret
 * access must be literal (secrets.NAME / secrets['NAME']): anything else could reach a name
 * we did not decrypt, or tempt us to decrypt everything.
 *
 * Secrets of a tool definition are resolved at each call site, because `secrets.api_key`
 * in a tool may be an alias bound by the calling step's `secrets:` map. A tool no step
 * calls therefore contributes no secrets.
 */

export interface SecretReference {
  /** The developer's secret name. */
  readonly name: string;
  /** The alias it was reached through, if any. */
  readonly alias: string | null;
  readonly via: 'secret_name' | 'binding' | 'expression';
  readonly stepIndex: number;
  readonly path: string | null;
  readonly line: number | null;
  readonly column: number | null;
}

export interface LlmKeyRequirement {
  readonly stepIndex: number;
  readonly provider: LlmProvider;
  /** Model name as sent to the provider. */
  readonly model: string;
  /** How the step names its key, if it does. */
  readonly explicit: { readonly kind: 'secret_name'; readonly name: string } | { readonly kind: 'settings.api_key' } | null;
  /** Conventional secret names to try when `explicit` is null. */
  readonly candidates: readonly string[];
  readonly site: Site;
}

export interface TaskAnalysis {
  readonly problems: readonly TaskProblem[];
  readonly references: readonly SecretReference[];
  readonly llm: readonly LlmKeyRequirement[];
}

const BASE_NAMES: ReadonlySet<string> = new Set(['secrets', 'inputs', 'input', 'steps', '_']);

const KNOWN_METHODS: ReadonlySet<string> = new Set(Object.values(METHODS).flatMap((t) => Object.keys(t)));

interface ExpressionScope {
  readonly stepIndex: number;
  readonly bindings: readonly SecretBinding[];
  /** Template variables (inside a prompt) and `output:` names of earlier steps. */
  readonly extraNames: ReadonlySet<string>;
  /** Every `output:` name in the task, with the step that sets it, for better messages. */
  readonly allOutputs: ReadonlyMap<string, number>;
}

export function analyzeTask(task: Task): TaskAnalysis {
  const problems = new Problems();
  const references: SecretReference[] = [];
  const llm: LlmKeyRequirement[] = [];

  const ref = (name: string, alias: string | null, via: SecretReference['via'], stepIndex: number, site: Site, offset?: number) => {
    const p = problemAt(site, '', offset);
    references.push({ name, alias, via, stepIndex, path: p.path, line: p.line, column: p.column });
  };

  const scan = (value: TemplateValue | null, scope: ExpressionScope) => {
    if (value === null) return;
    for (const occurrence of expressionsIn(value)) {
      checkExpression(occurrence.expr.ast, occurrence.offset, occurrence.site, scope, problems, ref);
    }
  };

  const allOutputs = new Map<string, number>();
  for (const step of task.steps) if (step.outputName !== null && !allOutputs.has(step.outputName.name)) allOutputs.set(step.outputName.name, step.index);
  const earlierOutputs = new Set<string>();

  task.steps.forEach((step) => {
    const stepIndex = step.index;
    const scope: ExpressionScope = { stepIndex, bindings: step.secrets, extraNames: new Set(earlierOutputs), allOutputs };
    if (step.secretName !== null) ref(step.secretName.name, null, 'secret_name', stepIndex, step.secretName.site);
    for (const b of step.secrets) ref(b.name, b.alias, 'binding', stepIndex, b.site);
    switch (step.kind) {
      case 'tool_call': {
        scan(step.arguments, scope);
        const tool = task.tools.get(step.tool);
        if (tool === undefined) {
          const known = [...task.tools.keys()];
          problems.add(step.toolSite, `unknown tool '${step.tool}'${known.length > 0 ? ` (defined: ${known.join(', ')})` : ' (no tools are defined)'}`);
          break;
        }
        for (const part of [tool.url, tool.headers, tool.query, tool.json, tool.body, tool.form]) scan(part, scope);
        const args = step.arguments;
        const passesUrl = args === null ? false : args.kind === 'map' ? args.entries.some((e) => e.key === 'url') : true;
        if (tool.url === null && !passesUrl) {
          problems.add(args?.site ?? step.toolSite, `tool '${tool.name}' has no url and this call does not pass one (arguments.url)`);
        }
        break;
      }
      case 'prompt':
        for (const v of step.templateVariables) scan(v.value, scope);
        scan(step.prompt, { ...scope, extraNames: new Set([...scope.extraNames, ...step.templateVariables.map((v) => v.key)]) });
        for (const s of step.settings) scan(s.value, scope);
        scan(step.apiKey, scope);
        analyzePrompt(step, problems, llm);
        break;
      case 'evaluate':
        for (const v of step.values) scan(v.value, scope);
        break;
    }
    if (step.outputName !== null) earlierOutputs.add(step.outputName.name);
  });

  return { problems: problems.list, references, llm };
}

function analyzePrompt(step: Extract<Step, { kind: 'prompt' }>, problems: Problems, llm: LlmKeyRequirement[]): void {
  if (step.secretName !== null && step.apiKey !== null) {
    problems.add(step.secretName.site, 'give either secret_name or settings.api_key for the LLM key, not both');
  }
  if (step.model === null) return;
  const route = routeModel(step.model, step.provider);
  if (route === null) {
    problems.add(
      step.modelSite,
      step.provider !== null
        ? `unknown provider '${step.provider}' (use openai, anthropic, google, mistral, groq or openrouter)`
        : `unknown model '${step.model}': cannot tell which provider serves it; add 'provider:'`,
    );
    return;
  }
  const explicit: LlmKeyRequirement['explicit'] =
    step.secretName !== null
      ? { kind: 'secret_name', name: step.secretName.name }
      : step.apiKey !== null
        ? { kind: 'settings.api_key' }
        : null;
  llm.push({
    stepIndex: step.index,
    provider: route.provider,
    model: route.model,
    explicit,
    candidates: explicit === null ? keyCandidates(route.provider) : [],
    site: step.modelSite,
  });
}

type RefSink = (name: string, alias: string | null, via: SecretReference['via'], stepIndex: number, site: Site, offset?: number) => void;

function checkExpression(root: Node, offset: number, site: Site, scope: ExpressionScope, problems: Problems, ref: RefSink): void {
  const report = (message: string, at: number) => problems.add(site, message, offset + at);
  // Iterative walk keeping parent and grandparent: secret access is recognised by shape.
  const stack: [Node, Node | null, Node | null][] = [[root, null, null]];
  while (stack.length > 0) {
    const [node, parent, grand] = stack.pop()!;
    switch (node.type) {
      case 'Name':
        checkName(node, parent, grand, scope, report, (name, alias, at) => ref(name, alias, 'expression', scope.stepIndex, site, offset + at));
        break;
      case 'Attribute':
        if (isForbiddenKey(node.name)) report(`access to '${node.name}' is not allowed`, node.nameStart);
        else if (parent?.type === 'Call' && parent.callee === node && !KNOWN_METHODS.has(node.name)) {
          report(`unknown method '${node.name}'`, node.nameStart);
        }
        break;
      case 'Index':
        if (node.index.type === 'Literal' && typeof node.index.value === 'string' && isForbiddenKey(node.index.value)) {
          report(`access to '${node.index.value}' is not allowed`, node.index.start);
        }
        break;
      default:
        break;
    }
    const kids = childrenOf(node);
    for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i]!, node, parent]);
  }
}

function literalInt(node: Node): number | null {
  if (node.type === 'Literal' && typeof node.value === 'number' && Number.isInteger(node.value)) return node.value;
  if (node.type === 'Unary' && node.op === '-' && node.operand.type === 'Literal' && typeof node.operand.value === 'number') {
    return Number.isInteger(node.operand.value) ? -node.operand.value : null;
  }
  return null;
}

function checkName(
  node: Extract<Node, { type: 'Name' }>,
  parent: Node | null,
  grand: Node | null,
  scope: ExpressionScope,
  report: (message: string, at: number) => void,
  secret: (name: string, alias: string | null, at: number) => void,
): void {
  const name = node.name;
  if (name === 'secrets') {
    let key: string | null = null;
    if (parent?.type === 'Attribute' && parent.object === node) {
      if (grand?.type === 'Call' && grand.callee === parent) {
        report(`secrets.${parent.name}(...) is not allowed: secret names must be literal, use secrets.NAME`, node.start);
        return;
      }
      key = parent.name;
    } else if (parent?.type === 'Index' && parent.object === node) {
      if (parent.index.type === 'Literal' && typeof parent.index.value === 'string') key = parent.index.value;
      else {
        report("secret names must be literal: use secrets.NAME or secrets['NAME'], not secrets[<expression>]", parent.index.start);
        return;
      }
    } else {
      report("secrets can only be used as secrets.NAME or secrets['NAME']", node.start);
      return;
    }
    const binding = scope.bindings.find((b) => b.alias === key);
    if (binding !== undefined) secret(binding.name, key, node.start);
    else if (isForbiddenKey(key)) return; // reported by the Attribute/Index check
    else if (!SECRET_NAME_PATTERN.test(key)) report(`'${key}' is not a valid secret name`, node.start);
    else secret(key, null, node.start);
    return;
  }
  if (name === 'steps') {
    if (parent?.type === 'Index' && parent.object === node) {
      const i = literalInt(parent.index);
      const current = scope.stepIndex;
      if (i !== null && (i >= current || i < -current)) {
        report(
          i >= 0
            ? `steps[${i}] refers to a step that has not run yet (this is step ${current}; steps run in order)`
            : `steps[${i}] is out of range (this is step ${current})`,
          parent.index.start,
        );
      }
    }
    return;
  }
  if (BASE_NAMES.has(name) || scope.extraNames.has(name)) return;
  const called = parent?.type === 'Call' && parent.callee === node;
  if (called) {
    if (!Object.hasOwn(FUNCTIONS, name)) report(`unknown function '${name}'`, node.start);
    return;
  }
  if (Object.hasOwn(FUNCTIONS, name)) {
    report(`'${name}' is a function; call it, e.g. ${name}(x)`, node.start);
    return;
  }
  const setter = scope.allOutputs.get(name);
  if (setter !== undefined) {
    report(`'${name}' is the output of step ${setter}, which has not run yet at step ${scope.stepIndex}`, node.start);
    return;
  }
  const available = [...BASE_NAMES, ...scope.extraNames].join(', ');
  report(`name '${name}' is not defined (available: ${available})`, node.start);
}
