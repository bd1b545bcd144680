import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { useSofa } from '@graphql-yoga/plugin-sofa';
import type { GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * REST under /api, generated from the GraphQL schema by SOFA, with an OpenAPI document at
 * /api/openapi.json. Same auth (the yoga context factory runs for every REST call) and same
 * errors; SOFA would answer every error with HTTP 500, so statuses are mapped from `code`.
 *
 * SOFA selects every field of a returned object, so on the full schema a plain
 * `GET /api/secret?name=x` would decrypt the value. REST therefore runs on the schema without
 * `value` fields; values come only from the explicit `GET /api/secret-value` route.
 */
const STATUS_BY_CODE: Record<string, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  VALIDATION_FAILED: 400,
  BAD_USER_INPUT: 400,
  GRAPHQL_VALIDATION_FAILED: 400,
  NOT_FOUND: 404,
  NAME_TAKEN: 409,
  VERSION_CONFLICT: 409,
  KEY_SERVICE_UNAVAILABLE: 503,
};

interface ErrorLike {
  message?: string;
  extensions?: { code?: string; http?: { status?: number }; requestId?: string; field?: string };
}

export function restErrorResponse(errors: ReadonlyArray<unknown>): Response {
  const list = errors.map((e) => e as ErrorLike);
  const first = list[0];
  const status = first?.extensions?.http?.status ?? STATUS_BY_CODE[first?.extensions?.code ?? ''] ?? 500;
  const body = {
    errors: list.map((e) => ({
      message: e.message ?? 'Unexpected error',
      code: e.extensions?.code ?? 'INTERNAL_SERVER_ERROR',
      ...(e.extensions?.field ? { field: e.extensions.field } : {}),
      ...(e.extensions?.requestId ? { requestId: e.extensions.requestId } : {}),
    })),
  };
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (status === 401) headers['www-authenticate'] = 'Bearer';
  return new Response(JSON.stringify(body), { status, headers });
}

/** The schema REST is generated from: the full schema minus the `value` fields of objects. */
export function restSchema(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field, fieldName, typeName) =>
      fieldName === 'value' && (typeName === 'Secret' || typeName === 'SecretVersion') ? null : field,
  });
}

export function useRestApi(): Plugin {
  const sofa = useSofa({
    basePath: '/api',
    openAPI: {
      info: { title: 'locksmith REST API', version: '1', description: 'Generated from the GraphQL schema. Authorization: Bearer <API key>.' },
      // Paths in the document are relative to the base path.
      servers: [{ url: '/api' }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    } as never,
    // OpenAPI schemas for the custom scalars (JSON is any JSON value).
    customScalars: { JSON: {}, DateTime: { type: 'string', format: 'date-time' } },
    // Swagger UI loads its assets from a CDN; the OpenAPI JSON works with any local viewer.
    swaggerUI: undefined,
    // SOFA types its handler against fets' Response; the platform Response is what it gets at run time.
    errorHandler: restErrorResponse as never,
  });
  return {
    ...sofa,
    onSchemaChange(payload) {
      sofa.onSchemaChange?.({ ...payload, schema: restSchema(payload.schema) });
    },
  };
}
