import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode, type Scalar } from 'yaml';
import { childPath, Problems, type Site, type TaskProblem } from './problems';

/**
 * Loads a task (YAML text, JSON text, or an already parsed object) into a tree of located
 * nodes. Every later stage works on this one tree, so parsed objects and text behave the
 * same; text just carries line/column information as well.
 *
 * JSON is parsed by the YAML parser too (JSON is YAML 1.2 flow syntax), which gives JSON
 * input the same positions for free.
 */

export type ScalarValue = null | boolean | number | string;

export type LNode =
  | { readonly kind: 'scalar'; readonly value: ScalarValue; readonly site: Site }
  | { readonly kind: 'seq'; readonly items: readonly LNode[]; readonly site: Site }
  | { readonly kind: 'map'; readonly entries: readonly LEntry[]; readonly site: Site };

export interface LEntry {
  readonly key: string;
  /** Site of the key itself, for "unknown key" problems. */
  readonly keySite: Site;
  readonly value: LNode;
}

export interface LoadLimits {
  /** Largest accepted document text, in characters. */
  maxTextLength: number;
  /** Most nodes after alias expansion (defends against "billion laughs"). */
  maxNodes: number;
  maxDepth: number;
}

export const DEFAULT_LOAD_LIMITS: Readonly<LoadLimits> = Object.freeze({
  maxTextLength: 1024 * 1024,
  maxNodes: 100_000,
  maxDepth: 64,
});

export interface LoadResult {
  readonly root: LNode | null;
  readonly problems: TaskProblem[];
}

export function loadSource(input: unknown, limits: LoadLimits = DEFAULT_LOAD_LIMITS): LoadResult {
  if (typeof input === 'string') return loadText(input, limits);
  if (input !== null && typeof input === 'object') return loadObject(input, limits);
  return {
    root: null,
    problems: [{ message: 'a task must be a YAML or JSON document (string) or an object', path: null, line: null, column: null }],
  };
}

class TooLarge extends Error {}

// ---- text -------------------------------------------------------------------------------

function loadText(text: string, limits: LoadLimits): LoadResult {
  const problems = new Problems();
  if (text.length > limits.maxTextLength) {
    problems.add(null, `the task document is larger than ${limits.maxTextLength} characters`);
    return { root: null, problems: problems.list };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: true, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  if (doc.errors.length > 0) {
    for (const err of doc.errors) {
      const pos = at(err.pos[0]);
      problems.list.push({ message: `YAML syntax error: ${firstLine(err.message)}`, path: null, line: pos.line, column: pos.column });
    }
    return { root: null, problems: problems.list };
  }
  if (doc.contents === null) {
    problems.add(null, 'the task document is empty');
    return { root: null, problems: problems.list };
  }
  const converter = new YamlConverter(text, doc, at, limits);
  try {
    return { root: converter.convert(doc.contents, '', 0), problems: [...problems.list, ...converter.problems.list] };
  } catch (err) {
    if (!(err instanceof TooLarge)) throw err;
    problems.add(null, err.message);
    return { root: null, problems: problems.list };
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

class YamlConverter {
  readonly problems = new Problems();
  private nodes = 0;

  constructor(
    private readonly text: string,
    private readonly doc: Document,
    private readonly at: (offset: number) => { line: number; column: number },
    private readonly limits: LoadLimits,
  ) {}

  private site(path: string, node: YamlNode | null | undefined): Site {
    const offset = node?.range?.[0];
    if (offset === undefined) return { path, line: null, column: null };
    const pos = this.at(offset);
    return { path, line: pos.line, column: pos.column };
  }

  convert(node: YamlNode | null | undefined, path: string, depth: number): LNode {
    if (++this.nodes > this.limits.maxNodes) throw new TooLarge(`the task document has more than ${this.limits.maxNodes} nodes`);
    if (depth > this.limits.maxDepth) throw new TooLarge(`the task document is nested more than ${this.limits.maxDepth} levels deep`);
    if (node === null || node === undefined) return { kind: 'scalar', value: null, site: { path, line: null, column: null } };
    if (isAlias(node)) {
      // Aliases expand in place; the node budget above bounds the expansion.
      const target = node.resolve(this.doc);
      if (target === undefined) {
        this.problems.add(this.site(path, node), `unknown YAML alias *${node.source}`);
        return { kind: 'scalar', value: null, site: this.site(path, node) };
      }
      return this.convert(target, path, depth + 1);
    }
    if (isScalar(node)) return this.scalar(node, path);
    if (isSeq(node)) {
      const items = node.items.map((item, i) => this.convert(item as YamlNode, childPath(path, i), depth + 1));
      return { kind: 'seq', items, site: this.site(path, node) };
    }
    if (isMap(node)) {
      const entries: LEntry[] = [];
      for (const pair of node.items) {
        const keyNode = pair.key as YamlNode | null;
        let key: string;
        if (isScalar(keyNode) && (typeof keyNode.value === 'string' || typeof keyNode.value === 'number' || typeof keyNode.value === 'boolean')) {
          key = String(keyNode.value);
        } else {
          this.problems.add(this.site(path, keyNode ?? node), 'mapping keys must be strings');
          continue;
        }
        const valuePath = childPath(path, key);
        entries.push({ key, keySite: this.site(valuePath, keyNode), value: this.convert(pair.value as YamlNode, valuePath, depth + 1) });
      }
      return { kind: 'map', entries, site: this.site(path, node) };
    }
    this.problems.add(this.site(path, node), 'unsupported YAML node');
    return { kind: 'scalar', value: null, site: this.site(path, node) };
  }

  private scalar(node: Scalar, path: string): LNode {
    const base = this.site(path, node);
    const v: unknown = node.value;
    if (v === null || typeof v === 'boolean' || typeof v === 'string') {
      if (typeof v === 'string' && node.range) {
        return { kind: 'scalar', value: v, site: { ...base, locate: this.locator(node, v) } };
      }
      return { kind: 'scalar', value: v, site: base };
    }
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) this.problems.add(base, 'numbers must be finite');
      return { kind: 'scalar', value: Number.isFinite(v) ? v : null, site: base };
    }
    this.problems.add(base, `unsupported scalar value of type ${typeof v}`);
    return { kind: 'scalar', value: null, site: base };
  }

  private locator(node: Scalar, value: string): (offset: number) => { line: number; column: number } {
    const [start, end] = node.range!;
    const raw = this.text.slice(start, end);
    let map: number[] | null = null;
    return (offset) => {
      map ??= valueToSourceOffsets(raw, node.type, value);
      const i = Math.max(0, Math.min(offset, map.length - 1));
      return this.at(start + (map[i] ?? 0));
    };
  }
}

/**
 * For each index of a scalar's value, the offset of the character in the raw source that
 * produced it. Exact for plain and quoted single-line scalars (including escapes), which
 * is where expressions live; a close approximation for folded multi-line text.
 */
export function valueToSourceOffsets(raw: string, type: Scalar.Type | undefined, value: string): number[] {
  const map: number[] = new Array<number>(value.length + 1);
  let j = 0;
  if (type === 'QUOTE_DOUBLE' || type === 'QUOTE_SINGLE') j = 1;
  else if (type === 'BLOCK_LITERAL' || type === 'BLOCK_FOLDED') {
    const nl = raw.indexOf('\n');
    j = nl < 0 ? raw.length : nl + 1;
  }
  const isBlank = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
  for (let i = 0; i < value.length; i++) {
    if (type === 'QUOTE_DOUBLE' && raw[j] === '\\') {
      const e = raw[j + 1];
      if (e === '\n' || e === '\r') {
        // Escaped line break: produces nothing; skip it and the next line's indentation.
        j += e === '\r' && raw[j + 2] === '\n' ? 3 : 2;
        while (raw[j] === ' ' || raw[j] === '\t') j++;
        i--;
        continue;
      }
      const len = e === 'x' ? 4 : e === 'u' ? 6 : e === 'U' ? 10 : 2;
      map[i] = j;
      const cp = value.codePointAt(i);
      if (cp !== undefined && cp > 0xffff) map[++i] = j;
      j += len;
      continue;
    }
    if (type === 'QUOTE_SINGLE' && raw[j] === "'" && raw[j + 1] === "'") {
      map[i] = j;
      j += 2;
      continue;
    }
    const c = value[i];
    if (raw[j] !== c) {
      // Folding and indentation: skip source whitespace until the character reappears.
      let k = j;
      while (k < raw.length && raw[k] !== c && isBlank(raw[k])) k++;
      if (raw[k] === c) j = k;
    }
    map[i] = Math.min(j, raw.length);
    j++;
  }
  map[value.length] = Math.min(j, raw.length);
  return map;
}

// ---- parsed objects -----------------------------------------------------------------------

function loadObject(input: object, limits: LoadLimits): LoadResult {
  const problems = new Problems();
  let nodes = 0;
  const convert = (v: unknown, path: string, depth: number): LNode => {
    const site: Site = { path, line: null, column: null };
    if (++nodes > limits.maxNodes) throw new TooLarge(`the task has more than ${limits.maxNodes} nodes`);
    if (depth > limits.maxDepth) throw new TooLarge(`the task is nested more than ${limits.maxDepth} levels deep`);
    if (v === null || v === undefined || typeof v === 'boolean' || typeof v === 'string') {
      return { kind: 'scalar', value: v ?? null, site };
    }
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) problems.add(site, 'numbers must be finite');
      return { kind: 'scalar', value: Number.isFinite(v) ? v : null, site };
    }
    if (Array.isArray(v)) return { kind: 'seq', items: v.map((item, i) => convert(item, childPath(path, i), depth + 1)), site };
    const proto: unknown = typeof v === 'object' ? Object.getPrototypeOf(v) : undefined;
    if (typeof v === 'object' && (proto === Object.prototype || proto === null)) {
      const entries = Object.keys(v).map((key) => {
        const valuePath = childPath(path, key);
        return { key, keySite: { path: valuePath, line: null, column: null }, value: convert((v as Record<string, unknown>)[key], valuePath, depth + 1) };
      });
      return { kind: 'map', entries, site };
    }
    problems.add(site, `unsupported value of type ${typeof v}; a task must be plain JSON data`);
    return { kind: 'scalar', value: null, site };
  };
  try {
    const root = convert(input, '', 0);
    return { root, problems: problems.list };
  } catch (err) {
    if (!(err instanceof TooLarge)) throw err;
    problems.add(null, err.message);
    return { root: null, problems: problems.list };
  }
}
