import { buildApiRequest, type ApiCallParts } from '../../../src/tasks/api-call';
import { parseTask } from '../../../src/tasks/document';
import { StepFailure } from '../../../src/tasks/http';
import type { ApiCallTool } from '../../../src/tasks/model';
import { renderValue } from '../../../src/tasks/template';

function toolFrom(apiCall: string): ApiCallTool {
  const { task, problems } = parseTask(`tools:\n  - name: t\n    api_call: ${apiCall}\nmain:\n  - evaluate: { a: "1" }\n`);
  expect(problems).toEqual([]);
  return task!.tools.get('t')!;
}

function build(apiCall: string, args: unknown, credential: string | null = null, scope: Record<string, unknown> = {}) {
  const parts: ApiCallParts = {
    tool: toolFrom(apiCall),
    args: args as ApiCallParts['args'],
    credential,
    render: (v) => renderValue(v, { secrets: {}, inputs: {}, ...scope }),
  };
  return buildApiRequest(parts);
}

const fails = (fn: () => unknown, message: RegExp) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StepFailure);
    expect((err as Error).message).toMatch(message);
    return;
  }
  throw new Error('expected a failure');
};

describe('building api_call requests', () => {
  it('plain arguments become query parameters for GET (lists repeat, booleans lower-case, null dropped)', () => {
    const req = build('{ url: "http://h/x?keep=1" }', { a: 'b c', n: 1.5, ok: true, tags: ['x', 'y'], skip: null });
    expect(req.url.toString()).toBe('http://h/x?keep=1&a=b+c&n=1.5&ok=true&tags=x&tags=y');
    expect(req.body).toBeUndefined();
  });

  it('plain arguments merge into the json body for POST', () => {
    const req = build('{ method: POST, url: "http://h/x", json: { fixed: 1, over: 1 } }', { over: 2, extra: [1] });
    expect(JSON.parse(req.body!)).toEqual({ fixed: 1, over: 2, extra: [1] });
    expect(req.headers.get('content-type')).toBe('application/json');
  });

  it('request overrides merge headers and params, replace the body', () => {
    const req = build('{ method: POST, url: "http://h/x", headers: { A: "1", B: "2" }, params: { p: "1" }, json: { old: true } }', {
      headers: { B: '3', C: '4' },
      params: { q: '2' },
      json: { new: true },
    });
    expect([...req.headers.entries()]).toEqual([
      ['a', '1'],
      ['b', '3'],
      ['c', '4'],
      ['content-type', 'application/json'],
    ]);
    expect(req.url.search).toBe('?p=1&q=2');
    expect(JSON.parse(req.body!)).toEqual({ new: true });
  });

  it('form data and raw bodies', () => {
    const form = build('{ method: POST, url: "http://h", data: { "a b": "c&d", n: 2 } }', null);
    expect(form.body).toBe('a+b=c%26d&n=2');
    expect(form.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    const raw = build('{ method: PUT, url: "http://h", body: "hello", headers: { Content-Type: text/csv } }', null);
    expect(raw.body).toBe('hello');
    expect(raw.headers.get('content-type')).toBe('text/csv');
  });

  it('places the credential per auth, overriding a same-named header', () => {
    expect(build('{ url: "http://h", headers: { Authorization: "x" } }', null, 's3cr3t').headers.get('authorization')).toBe('Bearer s3cr3t');
    expect(build('{ url: "http://h", auth: { header: X-Key } }', null, 's3cr3t').headers.get('x-key')).toBe('s3cr3t');
    expect(build('{ url: "http://h?key=old", auth: { query: key } }', null, 's 3').url.search).toBe('?key=s+3');
  });

  it('evaluates tool templates in the step scope', () => {
    const req = build('{ url: "http://h/{{ inputs.id }}", headers: { X: "$ secrets.k" } }', null, null, { inputs: { id: 7 }, secrets: { k: 'v' } });
    expect(req.url.pathname).toBe('/7');
    expect(req.headers.get('x')).toBe('v');
  });

  it('refuses what cannot be sent, without quoting header values', () => {
    fails(() => build('{ url: "http://h" }', 'just text'), /arguments must be a mapping/);
    fails(() => build('{ url: "http://h" }', { url: 'http://x', city: 'P' }), /mix request fields/);
    fails(() => build('{ url: "http://h" }', { url: 'file:///etc/passwd' }), /only http and https/);
    fails(() => build('{ url: "http://h" }', { url: 'not a url' }), /not a valid URL/);
    fails(() => build('{ url: "http://h" }', { method: 'TRACE' }), /unsupported HTTP method/);
    fails(() => build('{ url: "http://h" }', { json: { a: 1 } }), /GET request cannot have a body/);
    fails(() => build('{ url: "http://h" }', { auth: { username: 'u' } }), /auth must be \{username, password\}/);
    fails(() => build('{ url: "http://h" }', { timeout: -1 }), /timeout must be a positive number/);
    try {
      build('{ url: "http://h" }', { headers: { X: 'line\nbreak-secret-value' } });
      throw new Error('expected a failure');
    } catch (err) {
      expect((err as Error).message).toBe("header 'X' has an invalid name or value (control characters or newlines?)");
    }
  });

  it('argument timeouts override the tool timeout', () => {
    expect(build('{ url: "http://h", timeout: 10 }', null).timeoutMs).toBe(10_000);
    expect(build('{ url: "http://h", timeout: 10 }', { timeout: 0.5 }).timeoutMs).toBe(500);
  });
});
