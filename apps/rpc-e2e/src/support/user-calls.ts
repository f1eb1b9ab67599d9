import { randomBytes } from 'node:crypto';
import { UserRpc } from '@live-im/contracts';
import type { RpcClient } from '@live-im/zmq-transport';
import type { PlannedCall } from './load';

export interface SeededUser {
  username: string;
  password: string;
  userId: string;
}

/** Registers `count` accounts to log in as and read the profiles of. */
export async function seedUsers(client: RpcClient, count: number): Promise<SeededUser[]> {
  const tag = randomBytes(3).toString('hex');
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const username = `seed_${tag}_${i}`;
      const password = `password-${tag}-${i}`;
      const session = (await client.call(
        UserRpc.register.pattern,
        { username, password, nickname: `Seed ${i}` },
        { timeoutMs: 20_000 },
      )) as { user: { userId: string } };
      return { username, password, userId: session.user.userId };
    }),
  );
}

export interface UserMix {
  /** One call in this many is user.register (non-idempotent); 0 for none. */
  registerEvery: number;
  /** One call in this many is user.login (scrypt: expensive); 0 for none. */
  loginEvery: number;
  timeoutMs: number;
}

/**
 * The i-th call of a user-service load: mostly user.guest and user.getProfile (cheap, idempotent),
 * some user.login (idempotent, scrypt-bound) and user.register (not idempotent) as configured.
 */
export function userCallPlan(users: readonly SeededUser[], mix: UserMix): (i: number) => PlannedCall {
  const tag = randomBytes(3).toString('hex');
  return (i) => {
    const user = users[i % users.length];
    if (mix.registerEvery > 0 && i % mix.registerEvery === 0) {
      return {
        pattern: UserRpc.register.pattern,
        payload: { username: `load_${tag}_${i}`, password: 'load-password', nickname: `Load ${i}` },
        idempotent: UserRpc.register.idempotent,
        timeoutMs: mix.timeoutMs,
      };
    }
    if (mix.loginEvery > 0 && i % mix.loginEvery === 1) {
      return {
        pattern: UserRpc.login.pattern,
        payload: { username: user.username, password: user.password },
        idempotent: UserRpc.login.idempotent,
        timeoutMs: mix.timeoutMs,
      };
    }
    if (i % 2 === 0) {
      return {
        pattern: UserRpc.getProfile.pattern,
        payload: { userId: user.userId },
        idempotent: UserRpc.getProfile.idempotent,
        timeoutMs: mix.timeoutMs,
      };
    }
    return {
      pattern: UserRpc.guest.pattern,
      payload: {},
      idempotent: UserRpc.guest.idempotent,
      timeoutMs: mix.timeoutMs,
    };
  };
}
