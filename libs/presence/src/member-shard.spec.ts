import { memberShard } from './member-shard';

describe('memberShard', () => {
  it('is FNV-1a 32-bit modulo the shard count', () => {
    // FNV-1a("a") = 0xe40c292c, FNV-1a("foobar") = 0xbf9cf968 (reference vectors).
    expect(memberShard('a', 1 << 16)).toBe(0xe40c292c % (1 << 16));
    expect(memberShard('foobar', 1000)).toBe(0xbf9cf968 % 1000);
    expect(memberShard('', 16)).toBe(0x811c9dc5 % 16);
  });
});
