import { clientAddress } from './client-address';

describe('clientAddress', () => {
  it('uses the peer address unless the proxy is trusted', () => {
    expect(clientAddress('10.1.2.3', '6.6.6.6', false)).toBe('10.1.2.3');
    expect(clientAddress('10.1.2.3', '203.0.113.9, 10.0.0.1', true)).toBe('203.0.113.9');
    expect(clientAddress('10.1.2.3', ['2001:db8::1', '10.0.0.1'], true)).toBe('2001:db8::1');
  });

  it('ignores a forwarded value that is not an address', () => {
    expect(clientAddress('10.1.2.3', 'evil, 1.2.3.4', true)).toBe('10.1.2.3');
    expect(clientAddress('10.1.2.3', '', true)).toBe('10.1.2.3');
  });

  it('folds IPv4-mapped IPv6 onto IPv4 and names a missing address', () => {
    expect(clientAddress('::ffff:127.0.0.1', undefined, false)).toBe('127.0.0.1');
    expect(clientAddress(undefined, undefined, false)).toBe('unknown');
  });
});
