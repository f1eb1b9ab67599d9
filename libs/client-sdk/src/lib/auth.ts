import {
  ErrorCode,
  type Gift,
  HTTP_STATUS,
  isRpcErrorBody,
  parseOrThrow,
  RoomRpc,
  UserRpc,
} from '@live-im/contracts';
import type { z } from 'zod';
import { LiveError } from './live-error';

export type Session = z.output<typeof UserRpc.register.response>;
export type GuestSession = z.output<typeof UserRpc.guest.response>;
export type RegisterRequest = z.input<typeof UserRpc.register.request>;
export type LoginRequest = z.input<typeof UserRpc.login.request>;

export interface HttpOptions {
  /** Default 10 000 ms; past it DEADLINE_EXCEEDED. */
  timeoutMs?: number;
}

const DEFAULT_HTTP_TIMEOUT_MS = 10_000;

/** The contract code of an HTTP status, for answers without a contract error body (a proxy's 502). */
function codeOfStatus(status: number): ErrorCode {
  for (const [code, mapped] of Object.entries(HTTP_STATUS)) if (mapped === status) return code as ErrorCode;
  return status >= 500 ? ErrorCode.SERVICE_UNAVAILABLE : ErrorCode.INTERNAL;
}

/** One JSON call of the gateway's HTTP API: the validated answer, or LiveError with the body's code. */
async function callApi<S extends z.ZodType>(
  baseUrl: string,
  method: 'GET' | 'POST',
  path: string,
  body: unknown,
  response: S,
  options: HttpOptions = {},
): Promise<z.output<S>> {
  const url = `${baseUrl.replace(/\/+$/, '')}${path}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      method,
      headers:
        body === undefined
          ? { accept: 'application/json' }
          : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: abort.signal,
    });
    text = await res.text();
  } catch (error) {
    if (abort.signal.aborted) {
      throw new LiveError(
        ErrorCode.DEADLINE_EXCEEDED,
        `${method} ${path}: no answer within ${timeoutMs} ms`,
        { url },
      );
    }
    const why = error instanceof Error ? error.message : 'network error';
    throw new LiveError(ErrorCode.SERVICE_UNAVAILABLE, `${method} ${path}: ${why}`, { url });
  } finally {
    clearTimeout(timer);
  }
  let json: unknown;
  try {
    json = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const error = (json as { error?: unknown } | undefined)?.error;
    if (isRpcErrorBody(error)) throw LiveError.fromBody(error);
    throw new LiveError(codeOfStatus(res.status), `${method} ${path} answered ${res.status}`, {
      status: res.status,
    });
  }
  const parsed = response.safeParse(json);
  if (!parsed.success) {
    throw new LiveError(ErrorCode.INTERNAL, `${method} ${path}: the answer does not match the contract`, {
      issue: parsed.error.issues[0]?.message,
    });
  }
  return parsed.data;
}

function checked<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  try {
    return parseOrThrow(schema, value);
  } catch (error) {
    throw LiveError.from(error);
  }
}

/**
 * Sessions over the gateway's HTTP API (`baseUrl` is the gateway's origin, e.g.
 * `https://live.example.com`). The token goes to `connect({ token })`.
 */
export const auth = {
  /** A new account; ALREADY_EXISTS when the username is taken. */
  async register(baseUrl: string, request: RegisterRequest, options?: HttpOptions): Promise<Session> {
    const body = checked(UserRpc.register.request, request);
    return callApi(baseUrl, 'POST', '/api/auth/register', body, UserRpc.register.response, options);
  },

  /** UNAUTHENTICATED on a wrong pair, BANNED when banned. */
  async login(baseUrl: string, request: LoginRequest, options?: HttpOptions): Promise<Session> {
    const body = checked(UserRpc.login.request, request);
    return callApi(baseUrl, 'POST', '/api/auth/login', body, UserRpc.login.response, options);
  },

  /** A watch-only guest; the same `deviceId` (8–64 of A-Z a-z 0-9 _ -) gets the same guest id. */
  async guest(baseUrl: string, deviceId?: string, options?: HttpOptions): Promise<GuestSession> {
    const body = checked(UserRpc.guest.request, deviceId === undefined ? {} : { deviceId });
    return callApi(baseUrl, 'POST', '/api/auth/guest', body, UserRpc.guest.response, options);
  },

  /** The gift catalogue (public). */
  async gifts(baseUrl: string, options?: HttpOptions): Promise<Gift[]> {
    const answer = await callApi(baseUrl, 'GET', '/api/gifts', undefined, RoomRpc.gifts.response, options);
    return answer.gifts;
  },
};
