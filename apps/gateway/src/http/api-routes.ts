import {
  ErrorCode,
  OnlineListCursor,
  OnlineListPage,
  RoomId,
  RoomRpc,
  type RpcContract,
  UserRpc,
} from '@live-im/contracts';
import { z } from 'zod';

/**
 * One route of the HTTP API: its schemas (the RPC contracts' own, trimmed where the path supplies a
 * field) and the error codes it can answer. The controllers validate with these schemas and the
 * OpenAPI document is generated from them, so the two cannot drift apart.
 */
export interface ApiRoute {
  method: 'get' | 'post';
  /** OpenAPI style: `{roomId}` for a path parameter. */
  path: string;
  tag: 'auth' | 'catalogue' | 'rooms' | 'moderation';
  summary: string;
  description: string;
  /** Needs header x-api-key. */
  apiKey: boolean;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  response: z.ZodType;
  status: 200 | 201;
  errors: ErrorCode[];
}

/** Errors any RPC-backed route can answer, besides its own; WORKER_LOST only when the call is not idempotent. */
function rpcErrors(contract: RpcContract): ErrorCode[] {
  const errors: ErrorCode[] = [
    ErrorCode.SERVICE_UNAVAILABLE,
    ErrorCode.DEADLINE_EXCEEDED,
    ErrorCode.OVERLOADED,
    ErrorCode.INTERNAL,
  ];
  if (!contract.idempotent) errors.push(ErrorCode.WORKER_LOST);
  return errors;
}

/** Path, query and body schemas the controllers validate with (the contracts' own, minus what the path gives). */
export const RoomPath = z.object({ roomId: RoomId });
export const MembersQuery = z.object({ cursor: OnlineListCursor.optional() });
export const PushBody = RoomRpc.push.request.omit({ roomId: true });
export const MuteBody = RoomRpc.mute.request.omit({ roomId: true });
export const UnmuteBody = RoomRpc.unmute.request.omit({ roomId: true });
export const BanBody = RoomRpc.ban.request.omit({ roomId: true });
export const UnbanBody = RoomRpc.unban.request.omit({ roomId: true });
export const KickBody = RoomRpc.kick.request.omit({ roomId: true });
export const CloseBody = RoomRpc.close.request.omit({ roomId: true });
const ADMIN = [ErrorCode.UNAUTHENTICATED, ErrorCode.INVALID_ARGUMENT];
const PUBLIC_AUTH = [ErrorCode.INVALID_ARGUMENT, ErrorCode.RATE_LIMITED];

function moderation(contract: RpcContract, body: z.ZodType, action: string): ApiRoute {
  return {
    method: 'post',
    path: `/api/rooms/{roomId}/${action}`,
    tag: 'moderation',
    summary: `${action[0]?.toUpperCase() ?? ''}${action.slice(1)} a user in the room`,
    description: contract.description,
    apiKey: true,
    params: RoomPath,
    body,
    response: contract.response,
    status: 200,
    errors: [...ADMIN, ErrorCode.NOT_FOUND, ...rpcErrors(contract)],
  };
}

export const ApiRoutes: Record<string, ApiRoute> = {
  register: {
    method: 'post',
    path: '/api/auth/register',
    tag: 'auth',
    summary: 'Create an account',
    description: UserRpc.register.description,
    apiKey: false,
    body: UserRpc.register.request,
    response: UserRpc.register.response,
    status: 201,
    errors: [...PUBLIC_AUTH, ErrorCode.ALREADY_EXISTS, ...rpcErrors(UserRpc.register)],
  },
  login: {
    method: 'post',
    path: '/api/auth/login',
    tag: 'auth',
    summary: 'Sign in with username and password',
    description: UserRpc.login.description,
    apiKey: false,
    body: UserRpc.login.request,
    response: UserRpc.login.response,
    status: 200,
    errors: [...PUBLIC_AUTH, ErrorCode.UNAUTHENTICATED, ErrorCode.BANNED, ...rpcErrors(UserRpc.login)],
  },
  guest: {
    method: 'post',
    path: '/api/auth/guest',
    tag: 'auth',
    summary: 'A watch-only guest session',
    description: UserRpc.guest.description,
    apiKey: false,
    body: UserRpc.guest.request,
    response: UserRpc.guest.response,
    status: 200,
    errors: [...PUBLIC_AUTH, ...rpcErrors(UserRpc.guest)],
  },
  gifts: {
    method: 'get',
    path: '/api/gifts',
    tag: 'catalogue',
    summary: 'The gift catalogue',
    description: RoomRpc.gifts.description,
    apiKey: false,
    response: RoomRpc.gifts.response,
    status: 200,
    errors: rpcErrors(RoomRpc.gifts),
  },
  createRoom: {
    method: 'post',
    path: '/api/rooms',
    tag: 'rooms',
    summary: 'Open a room',
    description: RoomRpc.create.description,
    apiKey: true,
    body: RoomRpc.create.request,
    response: RoomRpc.create.response,
    status: 201,
    errors: [...ADMIN, ErrorCode.ALREADY_EXISTS, ...rpcErrors(RoomRpc.create)],
  },
  roomStats: {
    method: 'get',
    path: '/api/rooms/{roomId}',
    tag: 'rooms',
    summary: 'A room with its presence figures, latest seqs and like total',
    description: RoomRpc.stats.description,
    apiKey: true,
    params: RoomPath,
    response: RoomRpc.stats.response,
    status: 200,
    errors: [...ADMIN, ErrorCode.NOT_FOUND, ...rpcErrors(RoomRpc.stats)],
  },
  members: {
    method: 'get',
    path: '/api/rooms/{roomId}/members',
    tag: 'rooms',
    summary: 'One page of the online member list',
    description:
      "Members connected to live gateways, sharded and capped per shard for huge rooms. Pass the previous page's `nextCursor` as `cursor`; null means the last page.",
    apiKey: true,
    params: RoomPath,
    query: MembersQuery,
    response: OnlineListPage,
    status: 200,
    errors: [...ADMIN, ErrorCode.SERVICE_UNAVAILABLE, ErrorCode.INTERNAL],
  },
  push: {
    method: 'post',
    path: '/api/rooms/{roomId}/push',
    tag: 'rooms',
    summary: 'Business push into a room',
    description: RoomRpc.push.description,
    apiKey: true,
    params: RoomPath,
    body: PushBody,
    response: RoomRpc.push.response,
    status: 200,
    errors: [
      ...ADMIN,
      ErrorCode.NOT_FOUND,
      ErrorCode.ROOM_CLOSED,
      ErrorCode.RATE_LIMITED,
      ...rpcErrors(RoomRpc.push),
    ],
  },
  mute: moderation(RoomRpc.mute, MuteBody, 'mute'),
  unmute: moderation(RoomRpc.unmute, UnmuteBody, 'unmute'),
  ban: moderation(RoomRpc.ban, BanBody, 'ban'),
  unban: moderation(RoomRpc.unban, UnbanBody, 'unban'),
  kick: moderation(RoomRpc.kick, KickBody, 'kick'),
  close: {
    method: 'post',
    path: '/api/rooms/{roomId}/close',
    tag: 'rooms',
    summary: 'Close a room; every member leaves',
    description: RoomRpc.close.description,
    apiKey: true,
    params: RoomPath,
    body: CloseBody,
    response: RoomRpc.close.response,
    status: 200,
    errors: [...ADMIN, ErrorCode.NOT_FOUND, ...rpcErrors(RoomRpc.close)],
  },
};
