import { z } from 'zod';
import { readableText } from '../../messages/readable-text';

export const UserId = z.string().regex(/^[ug]_[A-Za-z0-9_-]{6,40}$/, 'must be a user or guest id');
export const Username = z
  .string()
  .min(3)
  .max(32)
  .regex(/^[A-Za-z0-9_]+$/, 'letters, digits and underscore only');
export const Password = z.string().min(8).max(128);
export const Nickname = readableText(32);

export const UserRole = z.enum(['user', 'guest', 'admin']);
export type UserRole = z.infer<typeof UserRole>;

export const UserProfile = z.object({
  userId: UserId,
  username: z.string(),
  nickname: z.string(),
  avatarUrl: z.string().nullable(),
  level: z.number().int().min(0),
  role: UserRole,
  createdAt: z.number().int(),
  /** Epoch ms until which the user is banned platform-wide; null when not banned. */
  bannedUntil: z.number().int().nullable(),
});
export type UserProfile = z.infer<typeof UserProfile>;

export const SessionToken = z.object({
  token: z.string(),
  /** Epoch ms. */
  expiresAt: z.number().int(),
});

/** The identity a verified token stands for. */
export const TokenClaims = z.object({
  userId: UserId,
  nickname: z.string(),
  role: UserRole,
  level: z.number().int().min(0),
  expiresAt: z.number().int(),
});
export type TokenClaims = z.infer<typeof TokenClaims>;
