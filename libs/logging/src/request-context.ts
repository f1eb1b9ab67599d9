import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

interface RequestScope {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestScope>();

/**
 * The request id that follows one user action through every hop (gateway → broker → worker →
 * broadcast). Log lines pick it up by themselves; RPC clients copy it into the request meta.
 */
export const RequestContext = {
  run<T>(requestId: string, fn: () => T): T {
    return storage.run({ requestId }, fn);
  },
  currentId(): string | undefined {
    return storage.getStore()?.requestId;
  },
};

/** 16 hex characters: unique enough to follow one request, short enough for every log line. */
export function newRequestId(): string {
  return randomBytes(8).toString('hex');
}
