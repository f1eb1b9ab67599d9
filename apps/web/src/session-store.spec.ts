import {
  DEVICE_ID_KEY,
  PageLifetimeStorage,
  SESSION_KEY,
  SessionStore,
  type KeyValueStorage,
} from './session-store';

describe('SessionStore', () => {
  const NOW = 1_700_000_000_000;
  const session = {
    token: 'jwt.token.sig',
    expiresAt: NOW + 3_600_000,
    userId: 'u_alice01',
    nickname: 'Alice',
  };

  function store(storage: KeyValueStorage = new PageLifetimeStorage()): SessionStore {
    return new SessionStore(storage, () => NOW);
  }

  it('creates a device id once and keeps it', () => {
    const storage = new PageLifetimeStorage();
    const first = store(storage).deviceId();
    expect(first).toMatch(/^web_[0-9a-f]{24}$/);
    expect(store(storage).deviceId()).toBe(first);
    expect(storage.getItem(DEVICE_ID_KEY)).toBe(first);
  });

  it('replaces a device id user.guest would refuse', () => {
    const storage = new PageLifetimeStorage();
    storage.setItem(DEVICE_ID_KEY, 'bad id!');
    expect(store(storage).deviceId()).toMatch(/^web_[0-9a-f]{24}$/);
  });

  it('keeps a user session until it is cleared', () => {
    const storage = new PageLifetimeStorage();
    store(storage).saveUserSession(session);
    expect(store(storage).userSession()).toEqual(session);
    store(storage).clearUserSession();
    expect(store(storage).userSession()).toBeUndefined();
  });

  it('drops sessions that are expired, about to expire, or unreadable', () => {
    const storage = new PageLifetimeStorage();
    for (const raw of [
      JSON.stringify({ ...session, expiresAt: NOW - 1 }),
      JSON.stringify({ ...session, expiresAt: NOW + 30_000 }),
      JSON.stringify({ token: 'x' }),
      '{not json',
    ]) {
      storage.setItem(SESSION_KEY, raw);
      expect(store(storage).userSession()).toBeUndefined();
      expect(storage.getItem(SESSION_KEY)).toBeNull();
    }
  });

  it('works on when the browser refuses storage', () => {
    const refusing: KeyValueStorage = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => {
        throw new Error('SecurityError');
      },
    };
    const refused = store(refusing);
    expect(refused.deviceId()).toMatch(/^web_/);
    refused.saveUserSession(session);
    expect(refused.userSession()).toBeUndefined();
    refused.clearUserSession();
  });
});
