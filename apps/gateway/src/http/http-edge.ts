import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayConfig } from '../config';
import { mountApiDocs } from '../docs/api-docs';
import { buildOpenApiDocument } from '../docs/openapi-document';
import { API_KEY_HEADER } from './api-key.guard';
import { ApiRoutes } from './api-routes';
import { AuthLimits } from './auth-limits';

/** The version the OpenAPI document states. */
export const API_VERSION = '1.0.0';

/** The public auth routes, limited per client address before their bodies are read. */
const AUTH_PREFIX = '/api/auth/';

/**
 * The HTTP edge, set up before listen and so before Nest's body parsers and routes:
 * - routes match case-sensitively: `/API/...` is no route (a contract 404), never a way around a
 *   guard or the API's error filter;
 * - the auth routes' per-address limit runs before the body is parsed, so a flood of large bodies
 *   costs no parsing;
 * - CORS for the origins of CORS_ORIGINS only (none by default), the same ones as Socket.IO;
 * - the API docs.
 */
export function configureHttpEdge(app: INestApplication, config: Pick<GatewayConfig, 'CORS_ORIGINS'>): void {
  const express = app as NestExpressApplication;
  matchRoutesCaseSensitively(express);
  const limits = app.get(AuthLimits);
  express.use((request: IncomingMessage, _response: ServerResponse, next: (error?: unknown) => void) => {
    if (request.method !== 'POST' || !(request.url ?? '').startsWith(AUTH_PREFIX)) {
      next();
      return;
    }
    limits.checkAddress(request).then(() => next(), next);
  });
  const anyOrigin = config.CORS_ORIGINS.length === 1 && config.CORS_ORIGINS[0] === '*';
  app.enableCors({
    origin: anyOrigin ? '*' : config.CORS_ORIGINS,
    methods: ['GET', 'POST'],
    allowedHeaders: ['content-type', API_KEY_HEADER, 'x-request-id'],
    maxAge: 600,
  });
  mountApiDocs(app, buildOpenApiDocument(ApiRoutes, API_VERSION));
}

/**
 * Express reads `case sensitive routing` only when it makes its router, which Nest's adapter has
 * already done (its constructor mounts a middleware); the router reads `caseSensitive` again for
 * every route added after, and Nest adds its routes at listen. So both are set here, before that.
 */
function matchRoutesCaseSensitively(app: NestExpressApplication): void {
  const instance = app.getHttpAdapter().getInstance() as {
    set(name: string, value: unknown): void;
    router?: unknown;
  };
  instance.set('case sensitive routing', true);
  const router = instance.router as { caseSensitive?: boolean } | undefined;
  if (router === undefined || !('caseSensitive' in router)) {
    throw new Error('the Express router is missing: routes could not be made case-sensitive');
  }
  router.caseSensitive = true;
}
