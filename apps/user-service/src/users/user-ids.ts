import { createHash, randomBytes } from 'node:crypto';

/**
 * A registered user's id is derived from the lower-cased username, so "is this name taken" and
 * "does this account exist" are the same single-key question. Creating an account is then one
 * atomic write to one key: no separate username index that a crash could leave half-written, and
 * the account stays on one Redis Cluster slot. Usernames cannot be renamed, which this relies on.
 */
export function registeredUserId(username: string): string {
  const digest = createHash('sha256')
    .update(`live-im:username:${username.toLowerCase()}`)
    .digest('base64url');
  // 24 base64url characters keep 144 bits: collisions are out of reach for any user base.
  return `u_${digest.slice(0, 24)}`;
}

/** A fresh random guest id; a device keeps the first one it was given (see UserStore.guestIdOfDevice). */
export function newGuestId(): string {
  return `g_${randomBytes(12).toString('base64url')}`;
}

export function isGuestId(userId: string): boolean {
  return userId.startsWith('g_');
}
