import { RedisKeys } from './redis-keys';

describe('RedisKeys', () => {
  const keys = new RedisKeys('live-im:');

  it('prefixes plain keys', () => {
    expect(keys.key('user', 'u_123456')).toBe('live-im:user:u_123456');
  });

  it('puts the hash tag right after the prefix so a room stays on one cluster slot', () => {
    expect(keys.tagged('room42', 'log', 'normal')).toBe('live-im:{room42}:log:normal');
  });
});
