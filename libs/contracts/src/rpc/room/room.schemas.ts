import { z } from 'zod';
import { UserId } from '../user/user.schemas';

export const RoomId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, underscore and dash only');

export const RoomStatus = z.enum(['open', 'closed']);

export const RoomInfo = z.object({
  roomId: RoomId,
  title: z.string(),
  ownerId: UserId,
  status: RoomStatus,
  createdAt: z.number().int(),
  closedAt: z.number().int().nullable(),
});
export type RoomInfo = z.infer<typeof RoomInfo>;
