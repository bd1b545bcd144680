import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP server on 127.0.0.1 (random port) for tests that need the network path to be
 * real: it records every request (method, url, headers, body) and answers from per-route
 * handlers. Built in: an OpenAI-compatible POST /v1/chat/completions, an Anthropic POST
 * /v1/messages, and /echo/* which returns the request. The LLM fakes echo the credential
 * they received in their reply, so tests can prove the runner redacts it.
 */

export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as received. */
  readonly url: string;
  readonly path: string;
  readonly query: Record<string, string>;
  /** Lower-cased names. */
  readonly headers: Record<string, string>;
  readonly body: string;
  /** The body parsed as JSON, when it is JSON. */
  readonly json: unknown;
}

export interface FakeResponse {
  status?: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  /** Wait this long before answering (the client may give up first). */
  delayMs?: number;
  /** Stream `count` copies of `chunk` (no content-length), e.g. to exceed a size limit. */
  stream?: { chunk: string; count: number };
}

export type FakeHandler = (req: RecordedRequest) => FakeResponse | Promise<FakeResponse>;

export interface FakeHttp {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Route by method ('*' for any) and exact path. Later registrations win. */
  on(method: string, path: string, response: FakeHandler | FakeResponse): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeHttp(): Promise<FakeHttp> {
  const requests: RecordedRequest[] = [];
  const routes = new Map<string, FakeHandler>();
  const key = (method: string, path: string) => `${method.toUpperCase()} ${path}`;

  const builtIns = () => {
    routes.clear();
    routes.set(key('POST', '/v1/chat/completions'), openAiChat);
    routes.set(key('POST', '/v1/messages'), anthropicMessages);
  };
  builtIns();

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: String(err) }));
      } else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const parsed = new URL(req.url ?? '/', 'http://fake');
    let json: unknown;
    try {
      json = body === '' ? undefined : JSON.parse(body);
    } catch {
      json = undefined;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      path: parsed.pathname,
      query: Object.fromEntries(parsed.searchParams),
      headers,
      body,
      json,
    };
    requests.push(recorded);

    const handler: FakeHandler =
      routes.get(key(recorded.method, recorded.path)) ??
      routes.get(key('*', recorded.path)) ??
      (recorded.path.startsWith('/echo') ? echo : () => ({ status: 404, body: { error: `no route for ${recorded.method} ${recorded.path}` } }));
    const response: FakeResponse = await handler(recorded);
    if (response.delayMs !== undefined) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, response.delayMs);
        res.on('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (res.destroyed || res.writableEnded) return;
    }
    if (response.stream !== undefined) {
      res.writeHead(response.status ?? 200, { 'content-type': 'text/plain', ...(response.headers ?? {}) });
      for (let i = 0; i < response.stream.count && !res.destroyed; i++) {
        if (!res.write(response.stream.chunk)) {
          // Whichever fires first removes the other, or every wait leaves a 'close' listener
          // behind (MaxListenersExceededWarning after ten waits on one response).
          await new Promise<void>((resolve) => {
            const done = () => {
              res.off('drain', done);
              res.off('close', done);
              resolve();
            };
            res.once('drain', done);
            res.once('close', done);
          });
        }
      }
      if (!res.destroyed) res.end();
      return;
    }
    const isText = typeof response.body === 'string';
    const payload = response.body === undefined ? '' : isText ? (response.body as string) : JSON.stringify(response.body);
    res.writeHead(response.status ?? 200, {
      'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json',
      'content-length': String(Buffer.byteLength(payload)),
      ...(response.headers ?? {}),
    });
    res.end(payload);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    on(method, path, response) {
      routes.set(key(method, path), typeof response === 'function' ? response : () => response);
    },
    reset() {
      requests.length = 0;
      builtIns();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

const echo: FakeHandler = (req) => ({
  body: { method: req.method, path: req.path, query: req.query, headers: req.headers, body: req.body },
});

function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  const users = messages.filter((m: { role?: string }) => m?.role === 'user') as { content?: unknown }[];
  const content = users[users.length - 1]?.content;
  return typeof content === 'string' ? content : JSON.stringify(content ?? '');
}

/** OpenAI-compatible chat completions; the reply echoes the bearer token it got. */
const openAiChat: FakeHandler = (req) => {
  const auth = req.headers.authorization ?? '';
  if (!auth.startsWith('Bearer ')) return { status: 401, body: { error: { message: 'missing bearer token', type: 'invalid_request_error' } } };
  const body = (req.json ?? {}) as { model?: string; messages?: unknown };
  return {
    body: {
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      model: body.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: `model=${body.model} key=${auth.slice(7)} said: ${lastUserText(body.messages)}` },
          finish_reason: 'stop',
        },
      ],
    },
  };
};

/** Anthropic messages; requires x-api-key and anthropic-version, echoes the key. */
const anthropicMessages: FakeHandler = (req) => {
  const key = req.headers['x-api-key'];
  if (key === undefined) return { status: 401, body: { type: 'error', error: { type: 'authentication_error', message: 'x-api-key header is required' } } };
  if (req.headers['anthropic-version'] === undefined) {
    return { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'anthropic-version header is required' } } };
  }
  const body = (req.json ?? {}) as { model?: string; messages?: unknown; system?: string };
  return {
    body: {
      id: 'msg_fake',
      type: 'message',
      role: 'assistant',
      model: body.model,
      content: [{ type: 'text', text: `model=${body.model} key=${key} system=${body.system ?? ''} said: ${lastUserText(body.messages)}` }],
      stop_reason: 'end_turn',
    },
  };
};
