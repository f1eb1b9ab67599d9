import { Catch, RpcExceptionFilter } from '@nestjs/common';
import { Observable, throwError } from 'rxjs';

/**
 * Hands whatever a handler threw to the transport unchanged. Nest's default filter turns anything
 * that is not an RpcException into "Internal server error", which would lose an RpcError's
 * contract code (UNAUTHENTICATED, NOT_FOUND...); ZmqServer maps errors to codes itself, leaking
 * no stack. `@RpcHandler` applies it; add it to plain `@MessagePattern` handlers as you see fit.
 */
@Catch()
export class RpcErrorFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}
