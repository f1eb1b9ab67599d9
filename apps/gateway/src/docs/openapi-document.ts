import { ErrorCode, HTTP_STATUS } from '@live-im/contracts';
import { DocumentBuilder, type OpenAPIObject } from '@nestjs/swagger';
import type {
  OperationObject,
  ParameterObject,
  ResponsesObject,
  SchemaObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { z } from 'zod';
import { API_KEY_HEADER } from '../http/api-key.guard';
import type { ApiRoute } from '../http/api-routes';

const API_KEY_SCHEME = 'apiKey';

/** A contract schema as an OpenAPI 3.0 schema object: requests as clients write them (defaults optional), responses as sent. */
export function openApiSchema(schema: z.ZodType, io: 'input' | 'output'): SchemaObject {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as SchemaObject;
}

/** The error body of the codes one status stands for. */
function errorSchema(codes: readonly ErrorCode[]): SchemaObject {
  const [first, ...rest] = codes;
  const code = first === undefined ? z.string() : z.enum([first, ...rest]);
  return openApiSchema(
    z.object({
      error: z.object({
        code,
        message: z.string(),
        details: z.record(z.string(), z.unknown()).optional(),
      }),
    }),
    'output',
  );
}

function parameters(route: ApiRoute): ParameterObject[] {
  const out: ParameterObject[] = [];
  for (const [location, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (schema === undefined) continue;
    const object = openApiSchema(schema, 'input');
    const required = new Set(object.required ?? []);
    for (const [name, property] of Object.entries(object.properties ?? {})) {
      out.push({ name, in: location, required: location === 'path' || required.has(name), schema: property });
    }
  }
  return out;
}

function responses(route: ApiRoute): ResponsesObject {
  const out: ResponsesObject = {
    [route.status]: {
      description: route.status === 201 ? 'Created' : 'OK',
      content: { 'application/json': { schema: openApiSchema(route.response, 'output') } },
    },
  };
  const byStatus = new Map<number, ErrorCode[]>();
  // Any body may be refused by the parser before the route sees it: too large (413), not JSON or
  // not decodable (400).
  const parserErrors =
    route.body === undefined ? [] : [ErrorCode.INVALID_ARGUMENT, ErrorCode.PAYLOAD_TOO_LARGE];
  for (const code of new Set([...route.errors, ...parserErrors])) {
    const status = HTTP_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[status] = {
      description: codes.join(', '),
      content: { 'application/json': { schema: errorSchema(codes) } },
    };
  }
  return out;
}

function operation(route: ApiRoute): OperationObject {
  const op: OperationObject = {
    tags: [route.tag],
    summary: route.summary,
    description: route.description,
    parameters: parameters(route),
    responses: responses(route),
  };
  if (route.body !== undefined) {
    op.requestBody = {
      required: true,
      content: { 'application/json': { schema: openApiSchema(route.body, 'input') } },
    };
  }
  if (route.apiKey) op.security = [{ [API_KEY_SCHEME]: [] }];
  return op;
}

/** Where the Socket.IO protocol is written down (a path in the live-im repository). */
export const SOCKET_PROTOCOL_DOC = 'docs/socket-protocol.md';

/** The OpenAPI 3 document of the HTTP API, generated from the routes' contract schemas. */
export function buildOpenApiDocument(routes: Record<string, ApiRoute>, version: string): OpenAPIObject {
  const base = new DocumentBuilder()
    .setTitle('live-im gateway HTTP API')
    .setDescription(
      'Sessions (public), the gift catalogue (public), and the business and admin API of rooms (header x-api-key). ' +
        'Every error is `{error: {code, message, details?}}`; clients branch on `code`. The real-time API is Socket.IO on the same port ' +
        '(path `/socket.io`): its complete protocol (handshake, events, acks, ordering, resume, limits) is ' +
        '[docs/socket-protocol.md](' +
        SOCKET_PROTOCOL_DOC +
        ') in the live-im repository, typed in libs/contracts/src/socket/events.ts.',
    )
    .setVersion(version)
    .addApiKey({ type: 'apiKey', in: 'header', name: API_KEY_HEADER }, API_KEY_SCHEME)
    .addTag('auth', 'Sessions: accounts, sign-in, guests (rate limited per client address)')
    .addTag('catalogue', 'What clients show before anyone signs in')
    .addTag('rooms', 'Rooms, their figures and business pushes (x-api-key)')
    .addTag('moderation', 'Mute, ban and kick users in a room (x-api-key)')
    .build();
  const document: OpenAPIObject = { ...base, paths: {} };
  for (const [name, route] of Object.entries(routes)) {
    const item = (document.paths[route.path] ??= {});
    item[route.method] = { operationId: name, ...operation(route) };
  }
  return document;
}
