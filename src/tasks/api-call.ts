import { REQUEST_FIELDS } from './document';
import { percentEncode } from './encoding';
import { formatNumber, isDict, isList, type Dict, type Value } from './expression/values';
import { HTTP_METHODS, type ApiCallTool } from './model';
import { StepFailure } from './http';
import type { TemplateValue } from './template';

/**
 * Turns an api_call tool plus a step's evaluated arguments and credential into an HTTP
 * request. The argument styles and credential placement are documented in document.ts.
 */

export interface BuiltRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Headers;
  readonly body: string | undefined;
  /** From the tool or the arguments; the runner caps it by the step timeout. */
  readonly timeoutMs: number | null;
}

export interface ApiCallParts {
  readonly tool: ApiCallTool;
  /** The step's arguments, evaluated (null when the step has none). */
  readonly args: Value;
  /** The value of the step's secret_name, if it has one. */
  readonly credential: string | null;
  /** Evaluates one of the tool's templates in the calling step's scope. */
  readonly render: (value: TemplateValue) => Value;
}

const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);

const invalid = (message: string): never => {
  throw new StepFailure(message, 'invalid_request');
};

export function buildApiRequest(parts: ApiCallParts): BuiltRequest {
  const { tool, credential } = parts;
  const render = (v: TemplateValue | null): Value | undefined => (v === null ? undefined : parts.render(v));
  const args = parts.args ?? {};
  if (!isDict(args)) return invalid(`arguments must be a mapping, not ${typeof args === 'string' ? 'a string' : 'a ' + (isList(args) ? 'list' : typeof args)}`);
  const keys = Object.keys(args);
  const overrideKeys = keys.filter((k) => REQUEST_FIELDS.has(k));
  if (overrideKeys.length > 0 && overrideKeys.length < keys.length) {
    invalid(`arguments mix request fields (${overrideKeys.join(', ')}) with plain arguments; use one style`);
  }
  const overrides: Dict = overrideKeys.length > 0 ? args : {};
  const plain: Dict | null = overrideKeys.length === 0 && keys.length > 0 ? args : null;
  const has = (k: string) => Object.hasOwn(overrides, k);

  const methodValue = has('method') ? overrides.method : tool.method;
  const method = typeof methodValue === 'string' ? methodValue.toUpperCase() : '';
  if (!(HTTP_METHODS as readonly string[]).includes(method)) invalid(`unsupported HTTP method ${JSON.stringify(methodValue)}`);

  const urlValue = has('url') ? overrides.url : render(tool.url);
  if (urlValue === undefined) return invalid(`tool '${tool.name}' has no url and the call does not pass one`);
  if (typeof urlValue !== 'string') return invalid('the url must be a string');
  let url: URL;
  try {
    url = new URL(urlValue);
  } catch {
    return invalid(`'${urlValue}' is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') invalid(`only http and https URLs are supported, not ${url.protocol}`);

  // Query: the tool's params, then overrides (by key), then plain arguments for GET-like calls.
  const query = new Map<string, string[]>();
  const addParams = (v: Value | undefined, what: string) => {
    if (v === undefined || v === null) return;
    if (!isDict(v)) return invalid(`${what} must be a mapping`);
    for (const [k, raw] of Object.entries(v)) {
      const values = (isList(raw) ? raw : [raw]).filter((x) => x !== null).map((x) => paramString(x, `${what}.${k}`));
      query.set(k, values);
    }
  };
  addParams(render(tool.query), 'params');
  addParams(has('params') ? overrides.params : has('query') ? overrides.query : undefined, 'params');
  if (plain !== null && !BODY_METHODS.has(method)) addParams(plain, 'arguments');
  for (const [k, values] of query) for (const v of values) url.searchParams.append(k, v);

  const headers = new Headers();
  const addHeaders = (v: Value | undefined) => {
    if (v === undefined || v === null) return;
    if (!isDict(v)) return invalid('headers must be a mapping');
    for (const [k, raw] of Object.entries(v)) {
      if (raw === null) continue;
      if (typeof raw === 'object') invalid(`header '${k}' must be a string`);
      setHeader(headers, k, typeof raw === 'number' ? formatNumber(raw) : String(raw));
    }
  };
  addHeaders(render(tool.headers));
  addHeaders(has('headers') ? overrides.headers : undefined);

  let body: string | undefined;
  const json = has('json') ? overrides.json : render(tool.json);
  const raw = has('body') ? overrides.body : has('content') ? overrides.content : render(tool.body);
  const form = has('data') ? overrides.data : render(tool.form);
  const overrideBody = ['json', 'body', 'content', 'data'].find(has);
  const chosen = overrideBody ?? (tool.json !== null ? 'json' : tool.body !== null ? 'body' : tool.form !== null ? 'data' : null);
  if (plain !== null && BODY_METHODS.has(method)) {
    if (chosen !== null && chosen !== 'json') invalid(`plain arguments are sent as a JSON body, but tool '${tool.name}' defines a ${chosen} body`);
    const base = json === undefined || json === null ? {} : json;
    if (!isDict(base)) invalid(`plain arguments can only be merged into a mapping json body`);
    body = JSON.stringify({ ...(base as Dict), ...plain });
    defaultHeader(headers, 'content-type', 'application/json');
  } else if (chosen === 'json' && json !== undefined) {
    body = JSON.stringify(json);
    defaultHeader(headers, 'content-type', 'application/json');
  } else if ((chosen === 'body' || chosen === 'content') && raw !== undefined && raw !== null) {
    body = typeof raw === 'string' ? raw : JSON.stringify(raw);
    defaultHeader(headers, 'content-type', typeof raw === 'string' ? 'text/plain; charset=utf-8' : 'application/json');
  } else if (chosen === 'data' && form !== undefined && form !== null) {
    if (!isDict(form)) invalid('data must be a mapping (it is sent form-encoded)');
    body = Object.entries(form as Dict)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => `${percentEncode(k, '', true)}=${percentEncode(paramString(v, `data.${k}`), '', true)}`)
      .join('&');
    defaultHeader(headers, 'content-type', 'application/x-www-form-urlencoded');
  }
  if (body !== undefined && (method === 'GET' || method === 'HEAD')) invalid(`a ${method} request cannot have a body`);

  if (has('auth') && overrides.auth !== null) {
    // Julep's basic-auth argument: auth: {username, password}.
    const auth = overrides.auth;
    if (!isDict(auth) || typeof auth.username !== 'string' || typeof auth.password !== 'string') {
      invalid('auth must be {username, password} strings');
    }
    const { username, password } = auth as { username: string; password: string };
    setHeader(headers, 'authorization', 'Basic ' + Buffer.from(`${username}:${password}`, 'utf8').toString('base64'));
  }

  if (credential !== null) {
    if (tool.auth.in === 'header') setHeader(headers, tool.auth.name, tool.auth.prefix + credential);
    else url.searchParams.set(tool.auth.name, credential);
  }

  let timeoutMs = tool.timeoutMs;
  if (has('timeout')) {
    const t = overrides.timeout;
    if (typeof t !== 'number' || !(t > 0)) invalid('timeout must be a positive number of seconds');
    timeoutMs = Math.round((t as number) * 1000);
  }
  return { method, url, headers, body, timeoutMs };
}

/** httpx's rules for query/form values: booleans lower-case, numbers plain, containers as JSON. */
function paramString(v: Value, what: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return formatNumber(v);
  if (v === null) return '';
  try {
    return JSON.stringify(v);
  } catch {
    return invalid(`${what} cannot be sent as a parameter`);
  }
}

function setHeader(headers: Headers, name: string, value: string): void {
  try {
    headers.set(name, value);
  } catch {
    // The platform's message quotes the value, which may be a credential: say less.
    invalid(`header '${name}' has an invalid name or value (control characters or newlines?)`);
  }
}

function defaultHeader(headers: Headers, name: string, value: string): void {
  if (!headers.has(name)) headers.set(name, value);
}
