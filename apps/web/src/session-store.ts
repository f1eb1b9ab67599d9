import { z } from 'zod';

/** What the page needs of localStorage (and what it falls back to when storage is refused). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** A signed-in user's session as the page keeps it between visits. */
export const StoredSession = z.object({
  token: z.string().min(1).max(4096),
  /** Epoch ms. */
  expiresAt: z.number().int(),
  userId: z.string().min(1),
  nickname: z.string(),
});
export type StoredSession = z.infer<typeof StoredSession>;

export const DEVICE_ID_KEY = 'live-im.deviceId';
export const SESSION_KEY = 'live-im.session';
/** The shape user.guest accepts for a device id. */
const DEVICE_ID = /^[A-Za-z0-9_-]{8,64}$/;
/** A session this close to expiry is dropped: it would lapse mid-visit and sends would fail. */
const EXPIRY_MARGIN_MS = 60_000;

/**
 * The page's memory across visits: a device id (the same device gets the same guest identity)
 * and the signed-in user's session. Anything unreadable or expired is treated as absent.
 */
export class SessionStore {
  constructor(
    private readonly storage: KeyValueStorage,
    private readonly now: () => number = Date.now,
    private readonly randomHex: (bytes: number) => string = cryptoRandomHex,
  ) {}

  deviceId(): string {
    const stored = this.read(DEVICE_ID_KEY);
    if (stored !== null && DEVICE_ID.test(stored)) return stored;
    const created = `web_${this.randomHex(12)}`;
    this.write(DEVICE_ID_KEY, created);
    return created;
  }

  userSession(): StoredSession | undefined {
    const raw = this.read(SESSION_KEY);
    if (raw === null) return undefined;
    const parsed = StoredSession.safeParse(parseJson(raw));
    if (!parsed.success || parsed.data.expiresAt - EXPIRY_MARGIN_MS <= this.now()) {
      this.clearUserSession();
      return undefined;
    }
    return parsed.data;
  }

  saveUserSession(session: StoredSession): void {
    this.write(SESSION_KEY, JSON.stringify(StoredSession.parse(session)));
  }

  clearUserSession(): void {
    try {
      this.storage.removeItem(SESSION_KEY);
    } catch {
      // Storage refused (private mode, quota): nothing was kept, so nothing is left behind.
    }
  }

  private read(key: string): string | null {
    try {
      return this.storage.getItem(key);
    } catch {
      return null;
    }
  }

  private write(key: string, value: string): void {
    try {
      this.storage.setItem(key, value);
    } catch {
      // Storage refused: the value lasts for this visit only.
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Random bytes as hex from Web Crypto (present in browsers, secure context or not, and in Node). */
export function cryptoRandomHex(bytes: number): string {
  const buffer = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(buffer);
  return Array.from(buffer, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Storage that lasts as long as the page, for browsers that refuse localStorage. */
export class PageLifetimeStorage implements KeyValueStorage {
  private readonly values = new Map<string, string>();

  getItem(key: string): string | null {
    return this.values.get(key) ?? null;
  }

  setItem(key: string, value: string): void {
    this.values.set(key, value);
  }

  removeItem(key: string): void {
    this.values.delete(key);
  }
}
