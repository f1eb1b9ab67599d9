import {
  isRpcErrorBody,
  type OnlineListPage,
  type RoomInfo,
  type RoomRpc,
  type RpcErrorBody,
  type UserProfile,
} from '@live-im/contracts';
import type { z } from 'zod';

/** An HTTP answer: the status and either the parsed body or the contract error it carried. */
export type ApiResult<T> =
  | { status: number; ok: true; data: T }
  | { status: number; ok: false; error: RpcErrorBody };

export interface Session {
  token: string;
  expiresAt: number;
  user: UserProfile;
}

export interface GuestSession {
  token: string;
  expiresAt: number;
  guestId: string;
}

type Output<C extends { response: z.ZodType }> = z.output<C['response']>;
type Input<C extends { request: z.ZodType }> = z.input<C['request']>;

export type RoomStats = Output<typeof RoomRpc.stats>;
export type PushRequest = Omit<Input<typeof RoomRpc.push>, 'roomId'>;
export type PushResult = Output<typeof RoomRpc.push>;

/** Thrown by the `*OrThrow` style helpers, so a failing test names the call and the answer. */
export class ApiError extends Error {
  constructor(
    readonly what: string,
    readonly status: number,
    readonly error: RpcErrorBody,
  ) {
    super(`${what} answered ${status} ${error.code}: ${error.message}`);
  }
}

/**
 * The gateway's HTTP API: auth for anyone, business push and administration with `x-api-key`.
 * Each method returns the decoded answer or throws ApiError; `raw` returns status and body as is.
 */
export class LiveApi {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  register(username: string, password: string, nickname: string): Promise<Session> {
    return this.ok<Session>('POST', '/api/auth/register', { username, password, nickname });
  }

  login(username: string, password: string): Promise<Session> {
    return this.ok<Session>('POST', '/api/auth/login', { username, password });
  }

  guest(deviceId?: string): Promise<GuestSession> {
    return this.ok<GuestSession>('POST', '/api/auth/guest', deviceId === undefined ? {} : { deviceId });
  }

  createRoom(roomId: string, title: string, ownerId: string): Promise<RoomInfo> {
    return this.ok<RoomInfo>('POST', '/api/rooms', { roomId, title, ownerId }, true);
  }

  stats(roomId: string): Promise<RoomStats> {
    return this.ok<RoomStats>('GET', `/api/rooms/${encodeURIComponent(roomId)}`, undefined, true);
  }

  members(roomId: string, cursor?: string): Promise<OnlineListPage> {
    const query = cursor === undefined ? '' : `?cursor=${encodeURIComponent(cursor)}`;
    return this.ok<OnlineListPage>(
      'GET',
      `/api/rooms/${encodeURIComponent(roomId)}/members${query}`,
      undefined,
      true,
    );
  }

  /** Every page of the member list, following nextCursor. */
  async allMembers(roomId: string): Promise<OnlineListPage['members']> {
    const members: OnlineListPage['members'] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 1000; page += 1) {
      const result = await this.members(roomId, cursor);
      members.push(...result.members);
      if (result.nextCursor === null) return members;
      cursor = result.nextCursor;
    }
    throw new Error(`the member list of ${roomId} did not end after 1000 pages`);
  }

  push(roomId: string, push: PushRequest): Promise<PushResult> {
    return this.ok<PushResult>('POST', `${this.room(roomId)}/push`, push, true);
  }

  mute(roomId: string, userId: string, durationSec?: number): Promise<unknown> {
    return this.ok(
      'POST',
      `${this.room(roomId)}/mute`,
      { userId, ...(durationSec ? { durationSec } : {}) },
      true,
    );
  }

  ban(roomId: string, userId: string, reason: string, durationSec?: number): Promise<unknown> {
    return this.ok(
      'POST',
      `${this.room(roomId)}/ban`,
      { userId, reason, ...(durationSec ? { durationSec } : {}) },
      true,
    );
  }

  kick(roomId: string, userId: string, reason = 'kicked'): Promise<unknown> {
    return this.ok('POST', `${this.room(roomId)}/kick`, { userId, reason }, true);
  }

  close(roomId: string, reason?: string): Promise<RoomInfo> {
    return this.ok<RoomInfo>(
      'POST',
      `${this.room(roomId)}/close`,
      reason === undefined ? {} : { reason },
      true,
    );
  }

  /** One request as is: the status and the JSON body (undefined when it has none). */
  async raw(
    method: string,
    path: string,
    body?: unknown,
    withApiKey = false,
  ): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (withApiKey) headers['x-api-key'] = this.apiKey;
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed };
  }

  /** A call whose failure is a value: the status and the contract error. */
  async result<T>(method: string, path: string, body?: unknown, withApiKey = false): Promise<ApiResult<T>> {
    const { status, body: answer } = await this.raw(method, path, body, withApiKey);
    if (status >= 200 && status < 300) return { status, ok: true, data: answer as T };
    return { status, ok: false, error: errorOf(answer) };
  }

  private async ok<T>(method: string, path: string, body?: unknown, withApiKey = false): Promise<T> {
    const result = await this.result<T>(method, path, body, withApiKey);
    if (!result.ok) throw new ApiError(`${method} ${path}`, result.status, result.error);
    return result.data;
  }

  private room(roomId: string): string {
    return `/api/rooms/${encodeURIComponent(roomId)}`;
  }
}

/** The contract error in an error answer: the body itself or its `error` field. */
export function errorOf(body: unknown): RpcErrorBody {
  if (isRpcErrorBody(body)) return body;
  if (typeof body === 'object' && body !== null && isRpcErrorBody((body as { error?: unknown }).error)) {
    return (body as { error: RpcErrorBody }).error;
  }
  return { code: 'INTERNAL', message: `not a contract error: ${JSON.stringify(body)}` };
}
