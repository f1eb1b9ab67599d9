import { ErrorCode, RpcError } from '@live-im/contracts';
import { MovableClock, waitFor } from '@live-im/testing';
import { TestRedis } from '@live-im/testing';
import { PasswordHasher } from './password-hasher';
import { TokenService } from './token.service';
import { UserStore } from './user.store';
import { PERMANENT_BAN_UNTIL, UsersService } from './users.service';

const SECRET = 'users-service-spec-secret-0123456789abcdef';

async function rejection(work: Promise<unknown>): Promise<RpcError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof RpcError) return error;
    throw error;
  }
  throw new Error('expected an RpcError');
}

describe('UsersService (real Redis)', () => {
  const testRedis = new TestRedis('user-service');
  const clock = new MovableClock();
  const tokens = new TokenService({ secret: SECRET, ttlSec: 3600 }, clock);
  const users = new UsersService(
    new UserStore(testRedis.redis, testRedis.keys),
    new PasswordHasher(),
    tokens,
    clock,
  );
  let serial = 0;
  /** A username of its own per test, so tests never depend on each other's accounts. */
  const freshName = () => `user_${process.pid}_${++serial}`;

  afterAll(() => testRedis.cleanup());

  describe('register and login', () => {
    it('registers a user and logs in with the same password', async () => {
      const username = freshName();
      const registered = await users.register({ username, password: 'secret-pass', nickname: 'Alice' });
      expect(registered.user).toMatchObject({
        username,
        nickname: 'Alice',
        role: 'user',
        level: 0,
        bannedUntil: null,
      });
      expect(registered.user.userId).toMatch(/^u_[A-Za-z0-9_-]{6,40}$/);

      const loggedIn = await users.login({ username, password: 'secret-pass' });
      expect(loggedIn.user).toEqual(registered.user);
      await expect(users.verifyToken({ token: loggedIn.token })).resolves.toMatchObject({
        userId: registered.user.userId,
        nickname: 'Alice',
        role: 'user',
      });
    });

    it('answers a wrong password and an unknown user alike: UNAUTHENTICATED', async () => {
      const username = freshName();
      await users.register({ username, password: 'secret-pass', nickname: 'Bob' });
      const wrongPassword = await rejection(users.login({ username, password: 'not-the-pass' }));
      const unknownUser = await rejection(users.login({ username: freshName(), password: 'secret-pass' }));
      expect(wrongPassword.code).toBe(ErrorCode.UNAUTHENTICATED);
      expect(unknownUser.code).toBe(ErrorCode.UNAUTHENTICATED);
      expect(unknownUser.message).toBe(wrongPassword.message);
    });

    it('refuses a taken username, whatever its case: ALREADY_EXISTS', async () => {
      const username = freshName();
      await users.register({ username, password: 'secret-pass', nickname: 'First' });
      const again = await rejection(users.register({ username, password: 'other-pass', nickname: 'Second' }));
      const upper = await rejection(
        users.register({ username: username.toUpperCase(), password: 'x-pass-123', nickname: 'Third' }),
      );
      expect(again.code).toBe(ErrorCode.ALREADY_EXISTS);
      expect(upper.code).toBe(ErrorCode.ALREADY_EXISTS);
      // The loser did not overwrite the winner's account.
      await expect(users.login({ username, password: 'secret-pass' })).resolves.toMatchObject({
        user: { nickname: 'First' },
      });
    });

    it('lets exactly one of many concurrent registrations of a name win', async () => {
      const username = freshName();
      const attempts = Array.from({ length: 12 }, (_, i) =>
        users.register({ username, password: `password-${i}`, nickname: `Racer ${i}` }),
      );
      const outcomes = await Promise.allSettled(attempts);
      const winners = outcomes.filter((o) => o.status === 'fulfilled');
      const losers = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(11);
      for (const loser of losers) expect(loser).toMatchObject({ code: ErrorCode.ALREADY_EXISTS });

      const winnerIndex = outcomes.findIndex((o) => o.status === 'fulfilled');
      await expect(users.login({ username, password: `password-${winnerIndex}` })).resolves.toMatchObject({
        user: { nickname: `Racer ${winnerIndex}` },
      });
    });
  });

  describe('tokens', () => {
    it('rejects a token signed with another key', async () => {
      const { token } = await users.register({
        username: freshName(),
        password: 'secret-pass',
        nickname: 'Eve',
      });
      const otherTokens = new TokenService(
        { secret: 'some-other-secret-0123456789abcdefgh', ttlSec: 3600 },
        clock,
      );
      const otherService = new UsersService(
        new UserStore(testRedis.redis, testRedis.keys),
        new PasswordHasher(),
        otherTokens,
        clock,
      );
      expect((await rejection(otherService.verifyToken({ token }))).code).toBe(ErrorCode.UNAUTHENTICATED);
    });

    it('rejects an expired token', async () => {
      const localClock = new MovableClock();
      const shortLived = new UsersService(
        new UserStore(testRedis.redis, testRedis.keys),
        new PasswordHasher(),
        new TokenService({ secret: SECRET, ttlSec: 60 }, localClock),
        localClock,
      );
      const { token } = await shortLived.register({
        username: freshName(),
        password: 'secret-pass',
        nickname: 'Old',
      });
      await expect(shortLived.verifyToken({ token })).resolves.toMatchObject({ nickname: 'Old' });
      localClock.advance(61_000);
      expect((await rejection(shortLived.verifyToken({ token }))).code).toBe(ErrorCode.UNAUTHENTICATED);
    });

    it('reports the current nickname, not the one in the token', async () => {
      const { token, user } = await users.register({
        username: freshName(),
        password: 'secret-pass',
        nickname: 'Before',
      });
      await users.updateProfile({ userId: user.userId, nickname: 'After' });
      await expect(users.verifyToken({ token })).resolves.toMatchObject({ nickname: 'After' });
    });
  });

  describe('guests', () => {
    it('gives the same deviceId the same guest id, and a guest token', async () => {
      const first = await users.guest({ deviceId: 'device-abc-123' });
      const second = await users.guest({ deviceId: 'device-abc-123' });
      const other = await users.guest({ deviceId: 'device-xyz-789' });
      expect(first.guestId).toMatch(/^g_[A-Za-z0-9_-]{6,40}$/);
      expect(second.guestId).toBe(first.guestId);
      expect(other.guestId).not.toBe(first.guestId);
      await expect(users.verifyToken({ token: first.token })).resolves.toMatchObject({
        userId: first.guestId,
        role: 'guest',
      });
    });

    it('gives guests without a device a new id each time', async () => {
      const [a, b] = await Promise.all([users.guest({}), users.guest({})]);
      expect(a.guestId).not.toBe(b.guestId);
    });

    it('refuses a banned device', async () => {
      const { guestId, token } = await users.guest({ deviceId: 'device-banned-1' });
      await users.ban({ userId: guestId, reason: 'spam' });
      expect((await rejection(users.guest({ deviceId: 'device-banned-1' }))).code).toBe(ErrorCode.BANNED);
      expect((await rejection(users.verifyToken({ token }))).code).toBe(ErrorCode.BANNED);
    });
  });

  describe('profiles', () => {
    it('updates nickname and avatar, and clears the avatar with null', async () => {
      const { user } = await users.register({
        username: freshName(),
        password: 'secret-pass',
        nickname: 'Pic',
      });
      const withAvatar = await users.updateProfile({
        userId: user.userId,
        avatarUrl: 'https://cdn.example/a.png',
      });
      expect(withAvatar).toMatchObject({ nickname: 'Pic', avatarUrl: 'https://cdn.example/a.png' });
      const renamed = await users.updateProfile({ userId: user.userId, nickname: 'Pix' });
      expect(renamed).toMatchObject({ nickname: 'Pix', avatarUrl: 'https://cdn.example/a.png' });
      const cleared = await users.updateProfile({ userId: user.userId, avatarUrl: null });
      expect(cleared.avatarUrl).toBeNull();
      await expect(users.getProfile({ userId: user.userId })).resolves.toEqual(cleared);
    });

    it('answers NOT_FOUND for unknown users and guests', async () => {
      for (const userId of ['u_nobody_here', 'g_some_guest']) {
        expect((await rejection(users.getProfile({ userId }))).code).toBe(ErrorCode.NOT_FOUND);
        expect((await rejection(users.updateProfile({ userId, nickname: 'X' }))).code).toBe(
          ErrorCode.NOT_FOUND,
        );
      }
      expect((await rejection(users.ban({ userId: 'u_nobody_here', reason: 'r' }))).code).toBe(
        ErrorCode.NOT_FOUND,
      );
      expect((await rejection(users.unban({ userId: 'u_nobody_here' }))).code).toBe(ErrorCode.NOT_FOUND);
    });
  });

  describe('bans', () => {
    it('bans until unbanned: profile, login and tokens follow', async () => {
      const username = freshName();
      const { user, token } = await users.register({ username, password: 'secret-pass', nickname: 'Troll' });

      const banned = await users.ban({ userId: user.userId, reason: 'abuse' });
      expect(banned).toEqual({ userId: user.userId, bannedUntil: PERMANENT_BAN_UNTIL });
      expect(new Date(banned.bannedUntil).getTime()).toBe(PERMANENT_BAN_UNTIL);
      await expect(users.getProfile({ userId: user.userId })).resolves.toMatchObject({
        bannedUntil: PERMANENT_BAN_UNTIL,
      });
      const verifyError = await rejection(users.verifyToken({ token }));
      expect(verifyError.code).toBe(ErrorCode.BANNED);
      expect(verifyError.details).toEqual({ bannedUntil: PERMANENT_BAN_UNTIL });
      expect((await rejection(users.login({ username, password: 'secret-pass' }))).code).toBe(
        ErrorCode.BANNED,
      );
      // The owner learns about the ban only with the right password.
      expect((await rejection(users.login({ username, password: 'wrong-pass' }))).code).toBe(
        ErrorCode.UNAUTHENTICATED,
      );

      await expect(users.unban({ userId: user.userId })).resolves.toEqual({
        userId: user.userId,
        bannedUntil: null,
      });
      await expect(users.getProfile({ userId: user.userId })).resolves.toMatchObject({ bannedUntil: null });
      await expect(users.verifyToken({ token })).resolves.toMatchObject({ userId: user.userId });
      await expect(users.login({ username, password: 'secret-pass' })).resolves.toBeDefined();
    });

    it('lets a timed ban run out by itself', async () => {
      const { user, token } = await users.register({
        username: freshName(),
        password: 'secret-pass',
        nickname: 'Brief',
      });
      const before = Date.now();
      const { bannedUntil } = await users.ban({ userId: user.userId, reason: 'cool down', durationSec: 1 });
      expect(bannedUntil).toBeGreaterThanOrEqual(before + 1000);
      expect((await rejection(users.verifyToken({ token }))).code).toBe(ErrorCode.BANNED);
      await expect(users.getProfile({ userId: user.userId })).resolves.toMatchObject({ bannedUntil });

      await waitFor(() => users.verifyToken({ token }).then(() => true), {
        timeoutMs: 10_000,
        what: 'the ban to run out',
      });
      await expect(users.verifyToken({ token })).resolves.toMatchObject({ userId: user.userId });
      await expect(users.getProfile({ userId: user.userId })).resolves.toMatchObject({ bannedUntil: null });
    });
  });
});
