import { z } from 'zod';
import { defineRpc } from '../define-rpc';
import { Nickname, Password, SessionToken, TokenClaims, UserId, UserProfile, Username } from './user.schemas';

const Session = SessionToken.extend({ user: UserProfile });

export const register = defineRpc({
  pattern: 'user.register',
  description: 'Create an account and return a session token. ALREADY_EXISTS when the username is taken.',
  request: z.object({ username: Username, password: Password, nickname: Nickname }).strict(),
  response: Session,
  idempotent: false,
});

export const login = defineRpc({
  pattern: 'user.login',
  description: 'Exchange username and password for a session token. UNAUTHENTICATED on a wrong pair.',
  request: z.object({ username: Username, password: Password }).strict(),
  response: Session,
  idempotent: true,
});

export const guest = defineRpc({
  pattern: 'user.guest',
  description: 'A watch-only guest identity and token; the same deviceId gets the same guest id.',
  request: z
    .object({
      deviceId: z
        .string()
        .regex(/^[A-Za-z0-9_-]{8,64}$/)
        .optional(),
    })
    .strict(),
  response: SessionToken.extend({ guestId: UserId }),
  idempotent: true,
});

export const verifyToken = defineRpc({
  pattern: 'user.verifyToken',
  description: 'Verify a session token; UNAUTHENTICATED when invalid or expired, BANNED when banned.',
  request: z.object({ token: z.string().min(1).max(4096) }).strict(),
  response: TokenClaims,
  idempotent: true,
  timeoutMs: 2000,
});

export const getProfile = defineRpc({
  pattern: 'user.getProfile',
  description: 'A user profile by id; NOT_FOUND when unknown.',
  request: z.object({ userId: UserId }).strict(),
  response: UserProfile,
  idempotent: true,
});

export const updateProfile = defineRpc({
  pattern: 'user.updateProfile',
  description: 'Change nickname and/or avatar; returns the updated profile.',
  request: z
    .object({
      userId: UserId,
      nickname: Nickname.optional(),
      avatarUrl: z.string().url().max(512).startsWith('https://').nullable().optional(),
    })
    .strict(),
  response: UserProfile,
  idempotent: true,
});

export const ban = defineRpc({
  pattern: 'user.ban',
  description: 'Ban a user platform-wide, for a duration or (without one) until unbanned.',
  request: z
    .object({
      userId: UserId,
      reason: z.string().min(1).max(256),
      durationSec: z
        .number()
        .int()
        .positive()
        .max(10 * 365 * 86400)
        .optional(),
    })
    .strict(),
  response: z.object({ userId: UserId, bannedUntil: z.number().int() }),
  idempotent: true,
});

export const unban = defineRpc({
  pattern: 'user.unban',
  description: 'Lift a platform-wide ban.',
  request: z.object({ userId: UserId }).strict(),
  response: z.object({ userId: UserId, bannedUntil: z.null() }),
  idempotent: true,
});
