import { Injectable } from '@nestjs/common';
import { randomBytes, scrypt, ScryptOptions, timingSafeEqual } from 'node:crypto';

/** scrypt cost parameters; stored with every hash so they can be raised without breaking old ones. */
export interface ScryptCost {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

/** OWASP's scrypt baseline: 2^14 × 8 × 1 needs 16 MiB and about 50 ms per hash. */
export const DEFAULT_SCRYPT_COST: ScryptCost = { N: 1 << 14, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
const SCHEME = 'scrypt';
/** `scrypt$N$r$p$salt$key`, salt and key in base64url. */
const ENCODED = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

function deriveKey(password: string, salt: Buffer, keyBytes: number, cost: ScryptCost): Promise<Buffer> {
  // Node refuses work above `maxmem` (32 MiB by default); allow exactly what the parameters need.
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyBytes, options, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** Hashes and checks passwords with scrypt, a random salt per password and a constant-time compare. */
@Injectable()
export class PasswordHasher {
  private readonly cost: ScryptCost = DEFAULT_SCRYPT_COST;
  /** Checked against when a username is unknown, so "no such user" costs as long as "wrong password". */
  private decoy: Promise<string> | undefined;

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await deriveKey(password, salt, KEY_BYTES, this.cost);
    const { N, r, p } = this.cost;
    return [SCHEME, N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
  }

  /** False for a wrong password and for a hash this hasher cannot read. */
  async verify(password: string, encoded: string): Promise<boolean> {
    const match = ENCODED.exec(encoded);
    if (!match) return false;
    const [, n, r, p, salt, expected] = match;
    const expectedKey = Buffer.from(expected, 'base64url');
    const cost: ScryptCost = { N: Number(n), r: Number(r), p: Number(p) };
    const key = await deriveKey(password, Buffer.from(salt, 'base64url'), expectedKey.length, cost);
    return timingSafeEqual(key, expectedKey);
  }

  /** Spends the time of one verification and returns false; for logins of unknown usernames. */
  async verifyNothing(password: string): Promise<false> {
    this.decoy ??= this.hash(randomBytes(SALT_BYTES).toString('hex'));
    await this.verify(password, await this.decoy);
    return false;
  }
}
