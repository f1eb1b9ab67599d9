import { z } from 'zod';

/**
 * One RPC operation, shared by the caller and the worker: the pattern routes it (the part before
 * the first dot names the service), the schemas validate it at run time and type it at compile
 * time, `idempotent` tells the broker it may re-dispatch the request when a worker dies.
 */
export interface RpcContract<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  readonly pattern: string;
  readonly service: string;
  readonly request: Req;
  readonly response: Res;
  readonly idempotent: boolean;
  /** Default deadline of a call, in milliseconds, when the caller gives none. */
  readonly timeoutMs: number;
  readonly description: string;
}

/** What a caller passes (before defaults are applied). */
export type RpcRequestInput<C> = C extends RpcContract<infer Q, z.ZodType> ? z.input<Q> : never;
/** What a handler receives (validated, defaults applied). */
export type RpcRequest<C> = C extends RpcContract<infer Q, z.ZodType> ? z.output<Q> : never;
/** What a handler returns and a caller receives. */
export type RpcResponse<C> = C extends RpcContract<z.ZodType, infer R> ? z.output<R> : never;

export const DEFAULT_RPC_TIMEOUT_MS = 5000;

const PATTERN = /^[a-z][a-zA-Z0-9]*\.[a-zA-Z0-9.]+$/;

export function defineRpc<Req extends z.ZodType, Res extends z.ZodType>(definition: {
  pattern: string;
  request: Req;
  response: Res;
  idempotent: boolean;
  timeoutMs?: number;
  description: string;
}): RpcContract<Req, Res> {
  if (!PATTERN.test(definition.pattern)) {
    throw new Error(`RPC pattern "${definition.pattern}" must look like "service.operation"`);
  }
  return Object.freeze({
    ...definition,
    service: serviceOfPattern(definition.pattern),
    timeoutMs: definition.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS,
  });
}

/** `room.join` is served by service `room`. */
export function serviceOfPattern(pattern: string): string {
  const dot = pattern.indexOf('.');
  return dot === -1 ? pattern : pattern.slice(0, dot);
}
