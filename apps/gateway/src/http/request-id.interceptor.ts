import { newRequestId, RequestContext } from '@live-im/logging';
import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { Observable } from 'rxjs';

/**
 * Runs a route's handler under the request id pino-http gave the request (a caller's x-request-id
 * when valid), so the RPCs it makes and every log line of every hop carry it.
 */
@Injectable()
export class RequestIdInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<IncomingMessage & { id?: unknown }>();
    const id =
      typeof request.id === 'string' || typeof request.id === 'number' ? String(request.id) : newRequestId();
    return new Observable((subscriber) => RequestContext.run(id, () => next.handle().subscribe(subscriber)));
  }
}
