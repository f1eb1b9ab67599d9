import { ErrorCode, RpcError } from '@live-im/contracts';
import type { ExecutionContext } from '@nestjs/common';
import { ApiKeyGuard, ApiKeyVerifier } from './api-key.guard';

const KEY = 'k3y-0f-the-business-api';

function contextWith(headers: Record<string, string | string[]>): ExecutionContext {
  const request = { headers };
  return { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
}

describe('ApiKeyVerifier', () => {
  const verifier = new ApiKeyVerifier(KEY);

  it('accepts exactly the configured key', () => {
    expect(verifier.matches(KEY)).toBe(true);
    expect(verifier.matches(`${KEY} `)).toBe(false);
    expect(verifier.matches(KEY.slice(0, -1))).toBe(false);
    expect(verifier.matches(KEY.toUpperCase())).toBe(false);
  });

  it('refuses missing, empty and non-string keys', () => {
    expect(verifier.matches(undefined)).toBe(false);
    expect(verifier.matches('')).toBe(false);
    expect(verifier.matches([KEY])).toBe(false);
    expect(verifier.matches(42)).toBe(false);
  });
});

describe('ApiKeyGuard', () => {
  const guard = new ApiKeyGuard({ API_KEY: KEY });

  it('lets a request with the key through', () => {
    expect(guard.canActivate(contextWith({ 'x-api-key': KEY }))).toBe(true);
  });

  it.each([
    ['no header', {}],
    ['a wrong key', { 'x-api-key': 'not-the-key-at-all' }],
    ['a repeated header', { 'x-api-key': [KEY, KEY] }],
  ])('answers UNAUTHENTICATED for %s', (_what, headers) => {
    let error: unknown;
    try {
      guard.canActivate(contextWith(headers));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(ErrorCode.UNAUTHENTICATED);
  });
});
