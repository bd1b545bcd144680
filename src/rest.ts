import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { useSofa } from '@graphql-yoga/plugin-sofa';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { NotFoundError } from './errors';
import { DomainGraphQLError, presentError } from './graphql/errors';

/**
 * REST under /api, generated from the GraphQL schema by SOFA, with an OpenAPI document at
 * /api/openapi.json. Same auth (the HTTP edge runs for every REST call) and same errors; the
 * HTTP status of an error is the AppError's own (DomainGraphQLError carries it), so there is
 * no second table to forget a code in.
 *
 * SOFA selects every field of a returned object, so on the full schema a plain
 * `GET /api/secret?name=x` would decrypt the value. REST therefore runs on the schema without
 * `value` fields; values come only from the explicit `GET /api/secret-value` route.
 */

interface ErrorLike {
  message?: string;
  extensions?: { code?: string; http?: { status?: number }; requestId?: string; field?: string; [key: string]: unknown };
}

function statusOf(error: unknown): { status: number; code: string } {
  if (error instanceof DomainGraphQLError) return { status: error.httpStatus, code: String(error.extensions.code) };
  const e = error as ErrorLike;
  const code = e.extensions?.code;
  if (code === 'INTERNAL_SERVER_ERROR') return { status: 500, code };
  // GraphQL's own errors (bad JSON body, a variable of the wrong type) are the caller's mistake.
  if (error instanceof GraphQLError && !error.originalError) return { status: e.extensions?.http?.status ?? 400, code: code ?? 'BAD_REQUEST' };
  return { status: e.extensions?.http?.status ?? 500, code: code ?? 'INTERNAL_SERVER_ERROR' };
}

export function restErrorResponse(errors: ReadonlyArray<unknown>): Response {
  // SOFA hands over what execution returned (already presented), or what it threw itself.
  const list = errors.map((e) => presentError(e));
  const first = statusOf(list[0]);
  const body = {
    errors: list.map((e) => {
      const { code } = statusOf(e);
      const { message, extensions = {} } = e as ErrorLike;
      const { http: _http, code: _code, ...rest } = extensions;
      return { message: message ?? 'Unexpected error', code, ...rest };
    }),
  };
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (first.status === 401) headers['www-authenticate'] = 'Bearer';
  return new Response(JSON.stringify(body), { status: first.status, headers });
}

/** The schema REST is generated from: the full schema minus the `value` fields of objects. */
export function restSchema(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field, fieldName, typeName) =>
      fieldName === 'value' && (typeName === 'Secret' || typeName === 'SecretVersion') ? null : field,
  });
}

export function useRestApi(basePath: string): Plugin {
  const sofa = useSofa({
    basePath,
    openAPI: {
      info: { title: 'locksmith REST API', version: '1', description: 'Generated from the GraphQL schema. Authorization: Bearer <API key>.' },
      // Paths in the document are relative to the base path.
      servers: [{ url: '/api' }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    } as never,
    // OpenAPI schemas for the custom scalars (JSON is any JSON value).
    customScalars: { JSON: {}, DateTime: { type: 'string', format: 'date-time' } },
    // No /api/docs: Swagger UI loads its assets from a CDN (blank offline, and a third-party
    // script next to a secrets API). The OpenAPI JSON works with any local viewer.
    swaggerUI: { endpoint: false },
    // SOFA types its handler against fets' Response; the platform Response is what it gets at run time.
    errorHandler: restErrorResponse as never,
  });
  return {
    ...sofa,
    onSchemaChange(payload) {
      sofa.onSchemaChange?.({ ...payload, schema: restSchema(payload.schema) });
    },
    async onRequest(payload) {
      if (!payload.url.pathname.startsWith(basePath)) return;
      let answered: Response | undefined;
      await sofa.onRequest?.({ ...payload, endResponse: (response: Response) => void (answered = response) });
      if (!answered) return;
      // A REST read of something absent answers 404, not `200 null` (GraphQL says null).
      if (payload.request.method === 'GET' && answered.status === 200) {
        const text = await answered.text();
        payload.endResponse(
          text.trim() === 'null'
            ? restErrorResponse([new DomainGraphQLError(new NotFoundError('no such secret or version among your live secrets'))])
            : new Response(text, { status: 200, headers: answered.headers }),
        );
        return;
      }
      payload.endResponse(answered);
    },
  };
}
