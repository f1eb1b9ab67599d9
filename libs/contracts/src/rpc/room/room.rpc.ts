import { z } from 'zod';
import { defineRpc } from '../define-rpc';
import { UserId } from '../user/user.schemas';
import { RoomId, RoomInfo } from './room.schemas';

export const create = defineRpc({
  pattern: 'room.create',
  description: 'Open a room. ALREADY_EXISTS when the id is taken by an open room.',
  request: z
    .object({
      roomId: RoomId,
      title: z.string().trim().min(1).max(128),
      ownerId: UserId,
    })
    .strict(),
  response: RoomInfo,
  idempotent: false,
});

export const get = defineRpc({
  pattern: 'room.get',
  description: 'A room by id; NOT_FOUND when unknown.',
  request: z.object({ roomId: RoomId }).strict(),
  response: RoomInfo,
  idempotent: true,
});

export const close = defineRpc({
  pattern: 'room.close',
  description: 'Close a room; closing a closed room returns it unchanged.',
  request: z.object({ roomId: RoomId, reason: z.string().max(256).optional() }).strict(),
  response: RoomInfo,
  idempotent: true,
});
