import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { type DocumentNode, type ExecutionResult, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import { type Plugin, processRegularResult } from 'graphql-yoga';
import type { Logger } from 'pino';
import { requestContext, type Services } from '../context';
import { presentResult } from '../graphql/errors';
import { notRun, runCompiled } from '../graphql/jit';
import { persistedId } from '../graphql/persisted';
import { auditDenials, refusalOf } from '../graphql/refuse-before-running';
import { operationOf } from '../graphql/selection-summary';
import type { ObserveOperation } from '../metrics';
import { clientAddress } from './client-address';
import type { Admit, EdgeAnswer, HeaderReader } from './edge';
import { type AdmittedRequests, newRequestState, type RequestState } from './request-state';

/**
 * The persisted-operation lane: the typed client and the CLI send only the hash of a document
 * fixed at build time (src/graphql/persisted.ts), so for those requests the general pipeline's
 * per-request work (a fetch-API Request and Response around node's, parameter parsing, document
 * and validation cache lookups, a dozen plugin hooks) answers a question already answered. This
 * lane serves them straight from node's request, with the same parts in the same order:
 *
 *   admission (rate limits, authentication, body bound: src/http/edge.ts) -> the request's
 *   context -> refusal before running (scopes of the whole operation) -> the operation,
 *   compiled with graphql-jit -> the audit of refused fields -> metrics -> errors presented
 *   and masked -> yoga's own result processor for the status, headers and body.
 *
 * A document enters the lane only after yoga has validated it once (with every rule: limits,
 * introspection, reveals): the lane never validates, so it can never be laxer than yoga. Every
 * request it does not recognise goes to yoga unchanged: a query text, an unknown hash, a batch,
 * CORS (an Origin header), chunked bodies, other media types, variables that do not coerce.
 * A request the lane already admitted and read goes to yoga with its body and its state (id,
 * principal), so it is never counted twice against a rate limit.
 */
export interface PersistedLaneOptions {
  readonly schema: GraphQLSchema;
  /** The manifest: hash -> document text. */
  readonly documents: Readonly<Record<string, string>>;
  readonly admit: Admit;
  readonly admitted: AdmittedRequests;
  readonly services: Services;
  readonly logger: Logger;
  readonly observeOperation?: ObserveOperation;
  readonly graphqlEndpoint: string;
  readonly maxBodyBytes: number;
  readonly maxReveals: number;
  readonly trustProxy: boolean;
  /** Counted here for /metrics and tests: requests the lane answered, and those it read and passed to yoga. */
  readonly stats?: PersistedLaneStats;
}

export interface PersistedLaneStats {
  served: number;
  handedOver: number;
}

export interface PersistedLane {
  /** The node listener: serves what the lane knows, hands everything else to `next` (yoga). */
  listener(next: RequestListener): RequestListener;
  /** Goes into yoga's plugins: tells the lane which persisted documents passed validation. */
  readonly plugin: Plugin;
}

interface Prepared {
  readonly document: DocumentNode;
  readonly operation: OperationDefinitionNode;
  readonly compiled: CompiledQuery;
}

/**
 * The Accept headers the lane answers, with the media type yoga's result processor picks for
 * each (tests/integration/persisted-lane.test.ts compares the two for every entry). Anything
 * else goes to yoga.
 */
const MEDIA_TYPES: ReadonlyMap<string, string> = new Map([
  ['', 'application/json'],
  ['*/*', 'application/json'],
  ['application/json', 'application/json'],
  ['application/graphql-response+json, application/json', 'application/graphql-response+json'],
]);

export function createPersistedLane(options: PersistedLaneOptions): PersistedLane {
  const { schema, logger } = options;
  const prepared = new Map<string, Prepared>();

  const prepare = (hash: string, document: DocumentNode) => {
    const operation = operationOf(document);
    if (!operation) return;
    const compiled = compileQuery(schema, document, operation.name?.value);
    // A document graphql-jit cannot compile stays with yoga's executor.
    if (isCompiledQuery(compiled)) prepared.set(hash, { document, operation, compiled });
  };

  const plugin: Plugin = {
    onValidate({ context, params }) {
      const request = (context as { params?: { query?: string; extensions?: Record<string, unknown> } }).params;
      const hash = persistedId(request?.extensions);
      // Only a request whose text came from the manifest by its hash (never a text a caller sent).
      if (hash === undefined || prepared.has(hash) || request?.query !== options.documents[hash]) return;
      return ({ valid }) => {
        if (valid) prepare(hash, params.documentAST);
      };
    },
  };

  const listener = (next: RequestListener): RequestListener => (req, res) => {
    const media = eligible(req, options);
    if (media === undefined) {
      next(req, res);
      return;
    }
    const header: HeaderReader = (name) => headerOf(req, name);
    const state = newRequestState(header('x-request-id'), clientAddress(header('x-forwarded-for'), req.socket.remoteAddress, options.trustProxy));
    serve(req, res, header, state, media, next).catch((error: unknown) => {
      // A bug, or a store failing mid-request: masked like yoga masks it, the detail logged.
      logger.error({ err: error, requestId: state.requestId }, 'unexpected error');
      if (res.headersSent) res.destroy();
      else writeAnswer(res, unexpected(state.requestId), state.requestId);
    });
  };

  async function serve(req: IncomingMessage, res: ServerResponse, header: HeaderReader, state: RequestState, media: string, next: RequestListener): Promise<void> {
    const refusal = await options.admit(state, { path: options.graphqlEndpoint, rest: false, header });
    if (refusal) return writeAnswer(res, refusal, state.requestId);

    const body = await readBody(req);
    if (body === undefined) return; // the client went away
    const handOver = () => {
      if (options.stats) options.stats.handedOver += 1;
      // yoga (@whatwg-node/server) takes a body a framework already read from `req.body`, and
      // the request's state from `admitted`.
      (req as IncomingMessage & { body?: PreReadBody }).body = new PreReadBody(body);
      options.admitted.set(req, state);
      next(req, res);
    };
    const call = recognise(body, prepared);
    if (!call) return handOver();

    const ctx = requestContext(state, options.services, logger, options.maxReveals);
    const started = process.hrtime.bigint();
    let result = refusalOf(ctx, schema, call.prepared.document, call.prepared.operation);
    if (!result) {
      result = await runCompiled(call.prepared.compiled, undefined, ctx, call.variables);
      if (notRun(result)) return handOver(); // nothing ran: yoga words the variable errors
    }
    await auditDenials(ctx);
    if (options.stats) options.stats.served += 1;
    options.observeOperation?.(call.prepared.operation.operation, Boolean(result.errors?.length), started);
    writeAnswer(res, resultAnswer(presentResult(result, state.requestId, logger), media), state.requestId);
  }

  return { listener, plugin };
}

/** The media type to answer with when the request's headers fit the lane; undefined: yoga's. */
function eligible(req: IncomingMessage, options: PersistedLaneOptions): string | undefined {
  if (req.method !== 'POST' || req.url !== options.graphqlEndpoint) return undefined;
  const h = req.headers;
  if (h.origin !== undefined || h['transfer-encoding'] !== undefined || h.authorization === undefined) return undefined;
  const type = h['content-type'];
  if (type !== 'application/json' && type !== 'application/json; charset=utf-8') return undefined;
  const length = h['content-length'];
  if (length === undefined || !/^[1-9]\d{0,9}$/.test(length) || Number(length) > options.maxBodyBytes) return undefined;
  // A Map, not an object: an Accept of "constructor" must not find a prototype's property.
  return MEDIA_TYPES.get(h.accept ?? '');
}

/** The operation a body asks for, when it is a single persisted operation the lane has ready. */
function recognise(body: Buffer, prepared: ReadonlyMap<string, Prepared>): { prepared: Prepared; variables: Record<string, unknown> | undefined } | undefined {
  // Most bodies that are not persisted operations never become a string here: yoga parses
  // them anyway, and a second copy of a large query text would only be garbage.
  if (body.indexOf(PERSISTED_KEY) < 0) return undefined;
  let params: unknown;
  try {
    params = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isPlainObject(params) || params.query !== undefined) return undefined;
  const hash = persistedId(isPlainObject(params.extensions) ? params.extensions : undefined);
  const ready = hash === undefined ? undefined : prepared.get(hash);
  if (!ready) return undefined;
  const { operationName, variables } = params;
  if (operationName != null && operationName !== ready.operation.name?.value) return undefined;
  if (variables != null && !isPlainObject(variables)) return undefined;
  return { prepared: ready, variables: (variables ?? undefined) as Record<string, unknown> | undefined };
}

const PERSISTED_KEY = Buffer.from('"persistedQuery"');

/**
 * A body already read, handed to yoga as an async iterable of its one chunk. Not the Buffer
 * itself: @whatwg-node/server first checks `Object.keys(body).length`, which for a Buffer (or a
 * string) lists every byte's index, megabytes of garbage for a large body. `read` is the one
 * enumerable property that check needs to see.
 */
class PreReadBody {
  constructor(readonly read: Buffer) {}
  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    yield this.read;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The whole body (its length was checked against the bound before admission); undefined if the client went away. */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    // A socket closed before the end (the client left, or the server's requestTimeout cut a
    // slow body): nothing to answer. After 'end' this resolves nothing (a promise settles once).
    req.on('error', () => resolve(undefined));
    req.on('close', () => resolve(undefined));
  });
}

function headerOf(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
}

/** Status, headers and body exactly as yoga's result processor makes them for this media type. */
function resultAnswer(result: ExecutionResult, media: string): EdgeAnswer {
  let answer: EdgeAnswer | undefined;
  class Capture {
    constructor(body: string, init: { status?: number; headers?: Record<string, string> }) {
      answer = { status: init.status ?? 200, headers: init.headers ?? {}, body };
    }
  }
  processRegularResult(result as never, { Response: Capture } as never, media);
  if (!answer) throw new Error('yoga produced no response for a single result');
  return answer;
}

function unexpected(requestId: string): EdgeAnswer {
  const body = JSON.stringify({ errors: [{ message: 'Unexpected error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } }] });
  return { status: 500, headers: { 'content-type': 'application/json' }, body };
}

function writeAnswer(res: ServerResponse, answer: EdgeAnswer, requestId?: string): void {
  if (res.destroyed) return;
  const body = Buffer.from(answer.body, 'utf8');
  res.writeHead(answer.status, { ...answer.headers, 'content-length': body.length, ...(requestId ? { 'x-request-id': requestId } : {}) });
  res.end(body);
}

