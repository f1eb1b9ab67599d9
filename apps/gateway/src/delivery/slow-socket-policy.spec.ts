import { SlowSocketPolicy } from './slow-socket-policy';

describe('SlowSocketPolicy', () => {
  const policy = new SlowSocketPolicy({ slowSocketBytes: 65_536, importantBacklogBytes: 524_288 });

  it('skips a socket past the slow limit for normal batches, and never when the pass holds none', () => {
    expect(policy.thresholdsFor(false, true).skipNormalAbove).toBe(65_536);
    expect(policy.thresholdsFor(true, false).skipNormalAbove).toBe(Number.POSITIVE_INFINITY);
  });

  it('never skips an important batch: cuts a socket off past the backlog limit, only for important', () => {
    expect(policy.thresholdsFor(true, true).cutAbove).toBe(524_288);
    expect(policy.thresholdsFor(false, true).cutAbove).toBe(Number.POSITIVE_INFINITY);
  });

  it('rejects limits that are not positive integers, or an important limit under the normal one', () => {
    expect(() => new SlowSocketPolicy({ slowSocketBytes: 0, importantBacklogBytes: 1 })).toThrow(
      /slowSocketBytes/,
    );
    expect(() => new SlowSocketPolicy({ slowSocketBytes: 1, importantBacklogBytes: 1.5 })).toThrow(
      /importantBacklogBytes/,
    );
    expect(() => new SlowSocketPolicy({ slowSocketBytes: 2048, importantBacklogBytes: 1024 })).toThrow(
      /at least slowSocketBytes/,
    );
  });
});
