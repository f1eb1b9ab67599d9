import { redactUrl } from '@live-im/logging';
import { ArgumentsHost, Catch, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpEdgeMetrics } from './http-edge-metrics';
import { httpErrorOf } from './http-errors';

/** Routes under this prefix answer errors in the contract's shape; the rest (probes, metrics) keep Nest's. */
export const API_PREFIX = '/api/';

/**
 * True for a request under the API prefix in any letter case: routes are matched case-sensitively
 * (configureHttpEdge), so `/API/...` is no route, and its 404 still answers in the contract's shape.
 */
export function isApiRequest(url: string | undefined): boolean {
  return (url ?? '').slice(0, API_PREFIX.length).toLowerCase() === API_PREFIX;
}

/**
 * The one exception filter of the HTTP API: every error of an /api route leaves as
 * `{error: {code, message, details?}}` with the contract's HTTP status, whether a guard, a pipe,
 * a controller, an RPC or Express's body parser raised it. Terminus's health answers are untouched.
 */
@Catch()
export class ApiExceptionFilter extends BaseExceptionFilter {
  private readonly log = new Logger('HttpApi');

  constructor(private readonly metrics: HttpEdgeMetrics) {
    super();
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<IncomingMessage>();
    if (host.getType() !== 'http' || !isApiRequest(request.url)) {
      super.catch(exception, host);
      return;
    }
    const reply = httpErrorOf(exception);
    this.metrics.error(reply.body.error.code);
    if (reply.unexpected) {
      this.log.error(
        {
          err:
            exception instanceof Error
              ? { message: exception.message, stack: exception.stack }
              : String(exception),
        },
        `${request.method ?? '?'} ${redactUrl(request.url ?? '?')} failed`,
      );
    }
    const adapter = this.httpAdapterHost?.httpAdapter;
    const response = http.getResponse<ServerResponse>();
    if (adapter === undefined) {
      response.statusCode = reply.status;
      response.setHeader('content-type', 'application/json; charset=utf-8');
      response.end(JSON.stringify(reply.body));
      return;
    }
    if (adapter.isHeadersSent(response)) adapter.end(response);
    else adapter.reply(response, reply.body, reply.status);
  }
}
