import {
  ConnectionLedger,
  connectionLimit,
  FALLBACK_CONNECTION_LIMIT,
  readOpenFilesLimit,
  softOpenFilesLimit,
  transportConnectionCap,
} from './connection-limits';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            4096                 524288               files
Max locked memory         8388608              8388608              bytes
`;

describe('connection limits', () => {
  it('reads the soft open-files limit from /proc/<pid>/limits', () => {
    expect(softOpenFilesLimit(LIMITS)).toBe(4096);
    expect(softOpenFilesLimit(LIMITS.replace('4096 ', 'unlimited '))).toBeUndefined();
    expect(softOpenFilesLimit('nothing here')).toBeUndefined();
    // This process's own, as Linux reports it.
    expect(readOpenFilesLimit()).toEqual(expect.any(Number));
    expect(readOpenFilesLimit('/nonexistent/limits')).toBeUndefined();
  });

  it('derives the gateway limit from the open-files limit, leaving its own handles a reserve', () => {
    expect(connectionLimit(0, 1024)).toEqual({ max: 768, source: 'open-files limit' });
    expect(connectionLimit(0, 65_536)).toEqual({ max: 65_536 - 6554, source: 'open-files limit' });
    expect(connectionLimit(0, 100)).toEqual({ max: 1, source: 'open-files limit' });
    expect(connectionLimit(0, undefined)).toEqual({ max: FALLBACK_CONNECTION_LIMIT, source: 'fallback' });
    expect(connectionLimit(50, 1024)).toEqual({ max: 50, source: 'MAX_CONNECTIONS' });
  });

  it('caps the HTTP server below the open-files limit, above the connection limit', () => {
    expect(transportConnectionCap(1024)).toBe(1024 - 128);
    expect(transportConnectionCap(1024)).toBeGreaterThan(connectionLimit(0, 1024).max);
    expect(transportConnectionCap(undefined)).toBeUndefined();
  });

  it('counts connections in all and per address against their caps', () => {
    const ledger = new ConnectionLedger(3, 2);
    expect(ledger.tryOpen('10.0.0.1')).toBeUndefined();
    expect(ledger.tryOpen('10.0.0.1')).toBeUndefined();
    expect(ledger.tryOpen('10.0.0.1')).toBe('address_connections');
    expect(ledger.tryOpen('10.0.0.2')).toBeUndefined();
    expect(ledger.tryOpen('10.0.0.3')).toBe('gateway_full');
    expect(ledger.open).toBe(3);
    ledger.release('10.0.0.1');
    expect(ledger.openFrom('10.0.0.1')).toBe(1);
    expect(ledger.tryOpen('10.0.0.3')).toBeUndefined();
    ledger.release('10.0.0.9');
    expect(ledger.open).toBe(3);
  });

  it('is not accepting from the moment it is full until it is down to the low-water mark', () => {
    const ledger = new ConnectionLedger(40, 100);
    expect(ledger.readyAgainAt).toBe(38);
    for (let i = 0; i < 39; i += 1) ledger.tryOpen('10.0.0.1');
    expect(ledger.accepting).toBe(true);
    ledger.tryOpen('10.0.0.1');
    expect(ledger.accepting).toBe(false);
    expect(ledger.timesFull).toBe(1);
    ledger.release('10.0.0.1');
    expect(ledger.accepting).toBe(false);
    ledger.release('10.0.0.1');
    expect(ledger.accepting).toBe(true);
    // Within the band it stays ready; full again is counted again.
    ledger.tryOpen('10.0.0.1');
    expect(ledger.accepting).toBe(true);
    ledger.tryOpen('10.0.0.1');
    expect(ledger.accepting).toBe(false);
    expect(ledger.timesFull).toBe(2);
  });

  it('with a limit of one, is ready again as soon as its connection leaves', () => {
    const ledger = new ConnectionLedger(1, 1);
    expect(ledger.readyAgainAt).toBe(0);
    ledger.tryOpen('10.0.0.1');
    expect(ledger.accepting).toBe(false);
    ledger.release('10.0.0.1');
    expect(ledger.accepting).toBe(true);
  });
});
