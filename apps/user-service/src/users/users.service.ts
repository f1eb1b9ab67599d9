import { Injectable } from '@nestjs/common';
import {
  ErrorCode,
  RpcError,
  RpcRequest,
  RpcResponse,
  TokenClaims,
  UserProfile,
  UserRpc,
} from '@live-im/contracts';
import { Clock } from '@live-im/bootstrap';
import { PasswordHasher } from './password-hasher';
import { TokenService } from './token.service';
import { isGuestId, newGuestId, registeredUserId } from './user-ids';
import { AccountWithBan, StoredBan, UserStore } from './user.store';

/** The bannedUntil of a ban without a duration: the last instant a JavaScript Date can hold. */
export const PERMANENT_BAN_UNTIL = 8_640_000_000_000_000;

/** A device that has not asked for a guest identity for this long gets a new one. */
export const GUEST_DEVICE_TTL_SEC = 30 * 86400;

/** One message for unknown users and wrong passwords, so a caller cannot probe for usernames. */
const BAD_CREDENTIALS = 'wrong username or password';

/** Accounts, sessions, profiles and platform bans: every operation of UserRpc, without the transport. */
@Injectable()
export class UsersService {
  constructor(
    private readonly store: UserStore,
    private readonly passwords: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly clock: Clock,
  ) {}

  async register(req: RpcRequest<typeof UserRpc.register>): Promise<RpcResponse<typeof UserRpc.register>> {
    const account = {
      userId: registeredUserId(req.username),
      username: req.username,
      nickname: req.nickname,
      avatarUrl: null,
      level: 0,
      role: 'user' as const,
      createdAt: this.clock.now(),
      passwordHash: await this.passwords.hash(req.password),
    };
    if (!(await this.store.createAccount(account))) {
      throw new RpcError(ErrorCode.ALREADY_EXISTS, 'username is taken');
    }
    const user = toProfile({ account, ban: null }, this.clock.now());
    return { ...this.tokens.issue(user), user };
  }

  async login(req: RpcRequest<typeof UserRpc.login>): Promise<RpcResponse<typeof UserRpc.login>> {
    const found = await this.store.findAccount(registeredUserId(req.username));
    const passwordOk = found
      ? await this.passwords.verify(req.password, found.account.passwordHash)
      : await this.passwords.verifyNothing(req.password);
    if (!found || !passwordOk) throw new RpcError(ErrorCode.UNAUTHENTICATED, BAD_CREDENTIALS);
    // Checked after the password, so only the account's owner learns that it is banned.
    this.assertNotBanned(found.ban);
    const user = toProfile(found, this.clock.now());
    return { ...this.tokens.issue(user), user };
  }

  async guest(req: RpcRequest<typeof UserRpc.guest>): Promise<RpcResponse<typeof UserRpc.guest>> {
    const guestId =
      req.deviceId === undefined
        ? newGuestId()
        : await this.store.guestIdOfDevice(req.deviceId, newGuestId(), GUEST_DEVICE_TTL_SEC);
    this.assertNotBanned(await this.store.findBan(guestId));
    const session = this.tokens.issue({
      userId: guestId,
      nickname: guestNickname(guestId),
      role: 'guest',
      level: 0,
    });
    return { ...session, guestId };
  }

  /**
   * A registered user's claims come from the account, not the token, so a nickname change or a
   * level-up shows at the next handshake without a new login.
   */
  async verifyToken(req: RpcRequest<typeof UserRpc.verifyToken>): Promise<TokenClaims> {
    const claims = this.tokens.verify(req.token);
    if (isGuestId(claims.userId)) {
      this.assertNotBanned(await this.store.findBan(claims.userId));
      return claims;
    }
    const found = await this.store.findAccount(claims.userId);
    if (!found) throw new RpcError(ErrorCode.UNAUTHENTICATED, 'the account of this token no longer exists');
    this.assertNotBanned(found.ban);
    const { nickname, role, level } = found.account;
    return { userId: claims.userId, nickname, role, level, expiresAt: claims.expiresAt };
  }

  async getProfile(req: RpcRequest<typeof UserRpc.getProfile>): Promise<UserProfile> {
    const found = isGuestId(req.userId) ? null : await this.store.findAccount(req.userId);
    if (!found) throw notFound(req.userId);
    return toProfile(found, this.clock.now());
  }

  async updateProfile(req: RpcRequest<typeof UserRpc.updateProfile>): Promise<UserProfile> {
    const changes = { nickname: req.nickname, avatarUrl: req.avatarUrl };
    const updated = isGuestId(req.userId) ? null : await this.store.updateProfile(req.userId, changes);
    if (!updated) throw notFound(req.userId);
    return toProfile(updated, this.clock.now());
  }

  /** Guests can be banned too (their ids are not stored, so they are not checked for existence). */
  async ban(req: RpcRequest<typeof UserRpc.ban>): Promise<RpcResponse<typeof UserRpc.ban>> {
    const ttlMs = req.durationSec === undefined ? null : req.durationSec * 1000;
    const bannedUntil = ttlMs === null ? PERMANENT_BAN_UNTIL : this.clock.now() + ttlMs;
    const ban: StoredBan = { until: bannedUntil, reason: req.reason };
    if (!(await this.store.setBan(req.userId, ban, ttlMs, !isGuestId(req.userId))))
      throw notFound(req.userId);
    return { userId: req.userId, bannedUntil };
  }

  async unban(req: RpcRequest<typeof UserRpc.unban>): Promise<RpcResponse<typeof UserRpc.unban>> {
    if (!(await this.store.clearBan(req.userId, !isGuestId(req.userId)))) throw notFound(req.userId);
    return { userId: req.userId, bannedUntil: null };
  }

  private assertNotBanned(ban: StoredBan | null): void {
    const until = activeBanUntil(ban, this.clock.now());
    if (until !== null) {
      throw new RpcError(ErrorCode.BANNED, `banned until ${new Date(until).toISOString()}`, {
        bannedUntil: until,
      });
    }
  }
}

/** Redis expires a timed ban; the clock check covers the last milliseconds before it does. */
function activeBanUntil(ban: StoredBan | null, now: number): number | null {
  return ban !== null && ban.until > now ? ban.until : null;
}

function toProfile({ account, ban }: AccountWithBan, now: number): UserProfile {
  return {
    userId: account.userId,
    username: account.username,
    nickname: account.nickname,
    avatarUrl: account.avatarUrl,
    level: account.level,
    role: account.role,
    createdAt: account.createdAt,
    bannedUntil: activeBanUntil(ban, now),
  };
}

function guestNickname(guestId: string): string {
  return `Guest ${guestId.slice(2, 8)}`;
}

function notFound(userId: string): RpcError {
  return new RpcError(ErrorCode.NOT_FOUND, `no user ${userId}`);
}
