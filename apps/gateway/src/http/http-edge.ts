import type { INestApplication } from '@nestjs/common';
import type { GatewayConfig } from '../config';
import { mountApiDocs } from '../docs/api-docs';
import { buildOpenApiDocument } from '../docs/openapi-document';
import { API_KEY_HEADER } from './api-key.guard';
import { ApiRoutes } from './api-routes';

/** The version the OpenAPI document states. */
export const API_VERSION = '1.0.0';

/** CORS for the HTTP API with the same origins as Socket.IO, and the API docs; before listen. */
export function configureHttpEdge(app: INestApplication, config: Pick<GatewayConfig, 'CORS_ORIGINS'>): void {
  const anyOrigin = config.CORS_ORIGINS.length === 1 && config.CORS_ORIGINS[0] === '*';
  app.enableCors({
    origin: anyOrigin ? '*' : config.CORS_ORIGINS,
    methods: ['GET', 'POST'],
    allowedHeaders: ['content-type', API_KEY_HEADER, 'x-request-id'],
    maxAge: 600,
  });
  mountApiDocs(app, buildOpenApiDocument(ApiRoutes, API_VERSION));
}
