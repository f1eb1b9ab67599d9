import { Inject, Injectable } from '@nestjs/common';
import { UserRole } from '@live-im/contracts';
import { REDIS, RedisKeys, RedisClient } from '@live-im/redis';
import { z } from 'zod';
import { LuaScript } from '@live-im/redis';

/** A registered account as stored in its hash. */
export interface StoredAccount {
  userId: string;
  username: string;
  nickname: string;
  avatarUrl: string | null;
  level: number;
  role: UserRole;
  createdAt: number;
  passwordHash: string;
}

export interface StoredBan {
  /** Epoch ms. */
  until: number;
  reason: string;
}

/** An account with its current ban, read together in one round trip. */
export interface AccountWithBan {
  account: StoredAccount;
  ban: StoredBan | null;
}

export interface ProfileChanges {
  nickname?: string;
  /** `null` removes the avatar; absent leaves it. */
  avatarUrl?: string | null;
}

const AccountHash = z.object({
  userId: z.string(),
  username: z.string(),
  nickname: z.string(),
  avatarUrl: z.string().optional(),
  level: z.coerce.number().int(),
  role: UserRole,
  createdAt: z.coerce.number().int(),
  passwordHash: z.string(),
});

const BanValue = z.object({ until: z.number().int(), reason: z.string() });

/** Writes the whole hash only if the account does not exist: registration's atomic step. */
const CREATE_ACCOUNT = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
`);

/** ARGV: hasNickname, nickname, avatar mode (keep|set|clear), avatarUrl. Returns {hash, ban} or nil. */
const UPDATE_PROFILE = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
if ARGV[1] == '1' then redis.call('HSET', KEYS[1], 'nickname', ARGV[2]) end
if ARGV[3] == 'set' then redis.call('HSET', KEYS[1], 'avatarUrl', ARGV[4])
elseif ARGV[3] == 'clear' then redis.call('HDEL', KEYS[1], 'avatarUrl') end
return {redis.call('HGETALL', KEYS[1]), redis.call('GET', KEYS[2])}
`);

/** ARGV: accountRequired, ban JSON, ttl ms (0: until lifted). 0 when a required account is missing. */
const SET_BAN = new LuaScript(`
if ARGV[1] == '1' and redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[3] == '0' then redis.call('SET', KEYS[2], ARGV[2])
else redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3]) end
return 1
`);

/** ARGV: accountRequired. 0 when a required account is missing. */
const CLEAR_BAN = new LuaScript(`
if ARGV[1] == '1' and redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('DEL', KEYS[2])
return 1
`);

/** ARGV: candidate id, ttl s. The device keeps its first id; each visit extends its life. */
const GUEST_ID_OF_DEVICE = new LuaScript(`
local id = redis.call('GET', KEYS[1]) or ARGV[1]
redis.call('SET', KEYS[1], id, 'EX', ARGV[2])
return id
`);

/**
 * Accounts, bans and guest devices in Redis. Key layout (after the deployment prefix):
 * `user:{<userId>}` account hash, `user:{<userId>}:ban` ban (expires with a timed ban), both on
 * the user's cluster slot; `guest-device:<deviceId>` → guest id.
 */
@Injectable()
export class UserStore {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /** False when the id (that is, the username) is taken. */
  async createAccount(account: StoredAccount): Promise<boolean> {
    const { avatarUrl, ...required } = account;
    const hash: Record<string, string> = {
      ...required,
      level: String(account.level),
      createdAt: String(account.createdAt),
    };
    // A missing field is how the hash says "no avatar".
    if (avatarUrl !== null) hash['avatarUrl'] = avatarUrl;
    const fields = Object.entries(hash).flat();
    const created = await CREATE_ACCOUNT.run(this.redis, [this.accountKey(account.userId)], fields);
    return created === 1;
  }

  async findAccount(userId: string): Promise<AccountWithBan | null> {
    const results = await this.redis.multi().hgetall(this.accountKey(userId)).get(this.banKey(userId)).exec();
    if (results === null) throw new Error('account read transaction aborted');
    const [[hashError, hash], [banError, ban]] = results;
    if (hashError) throw hashError;
    if (banError) throw banError;
    const account = parseAccount(hash);
    return account === null ? null : { account, ban: parseBan(ban) };
  }

  async findBan(userId: string): Promise<StoredBan | null> {
    return parseBan(await this.redis.get(this.banKey(userId)));
  }

  /** Null when the account does not exist; otherwise the account after the change. */
  async updateProfile(userId: string, changes: ProfileChanges): Promise<AccountWithBan | null> {
    const avatarMode =
      changes.avatarUrl === undefined ? 'keep' : changes.avatarUrl === null ? 'clear' : 'set';
    const reply = await UPDATE_PROFILE.run(
      this.redis,
      [this.accountKey(userId), this.banKey(userId)],
      [
        changes.nickname === undefined ? '0' : '1',
        changes.nickname ?? '',
        avatarMode,
        changes.avatarUrl ?? '',
      ],
    );
    if (!Array.isArray(reply)) return null;
    const [flatHash, ban] = reply as [string[], string | null];
    const account = parseAccount(pairsToRecord(flatHash));
    return account === null ? null : { account, ban: parseBan(ban) };
  }

  /**
   * Bans `userId`; a ban with `ttlMs` disappears by itself when it runs out. With `accountRequired`
   * the ban is only written if the account exists (false otherwise).
   */
  async setBan(
    userId: string,
    ban: StoredBan,
    ttlMs: number | null,
    accountRequired: boolean,
  ): Promise<boolean> {
    const done = await SET_BAN.run(
      this.redis,
      [this.accountKey(userId), this.banKey(userId)],
      [accountRequired ? '1' : '0', JSON.stringify(ban), ttlMs ?? 0],
    );
    return done === 1;
  }

  /** Lifts a ban; false when `accountRequired` and the account does not exist. */
  async clearBan(userId: string, accountRequired: boolean): Promise<boolean> {
    const done = await CLEAR_BAN.run(
      this.redis,
      [this.accountKey(userId), this.banKey(userId)],
      [accountRequired ? '1' : '0'],
    );
    return done === 1;
  }

  /** The guest id a device was first given, or `candidateId` for a new device. */
  async guestIdOfDevice(deviceId: string, candidateId: string, ttlSec: number): Promise<string> {
    const id = await GUEST_ID_OF_DEVICE.run(
      this.redis,
      [this.keys.key('guest-device', deviceId)],
      [candidateId, ttlSec],
    );
    if (typeof id !== 'string') throw new Error('guest id script returned no id');
    return id;
  }

  private accountKey(userId: string): string {
    return this.keys.key('user', `{${userId}}`);
  }

  private banKey(userId: string): string {
    return this.keys.key('user', `{${userId}}`, 'ban');
  }
}

function parseAccount(hash: unknown): StoredAccount | null {
  if (typeof hash !== 'object' || hash === null || Object.keys(hash).length === 0) return null;
  const { avatarUrl, ...rest } = AccountHash.parse(hash);
  return { ...rest, avatarUrl: avatarUrl ?? null };
}

function parseBan(value: unknown): StoredBan | null {
  if (typeof value !== 'string') return null;
  return BanValue.parse(JSON.parse(value));
}

function pairsToRecord(flat: readonly string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[flat[i]] = flat[i + 1];
  return record;
}
