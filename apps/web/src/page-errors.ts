import { ErrorCode, isRpcErrorBody, type RpcErrorBody } from '@live-im/contracts';

/**
 * Anything thrown or reported (an SDK LiveError, an HTTP error body, a network failure) as a
 * contract code and a message, which is how the page shows every error.
 */
export function errorBodyOf(error: unknown): RpcErrorBody {
  if (isRpcErrorBody(error)) return { code: error.code, message: error.message };
  if (typeof error === 'object' && error !== null && isRpcErrorBody((error as { error?: unknown }).error)) {
    const body = (error as { error: RpcErrorBody }).error;
    return { code: body.code, message: body.message };
  }
  // fetch rejects with a TypeError when the gateway cannot be reached at all.
  if (error instanceof TypeError)
    return { code: ErrorCode.SERVICE_UNAVAILABLE, message: 'the server cannot be reached' };
  return {
    code: ErrorCode.INTERNAL,
    message: error instanceof Error ? error.message : 'something went wrong',
  };
}
