import { SlowSocketPolicy } from './slow-socket-policy';

describe('SlowSocketPolicy', () => {
  const policy = new SlowSocketPolicy({ slowSocketBytes: 65_536, importantBacklogBytes: 524_288 });

  it('writes normal batches up to the slow limit and skips past it', () => {
    expect(policy.actionFor('normal', 0)).toBe('write');
    expect(policy.actionFor('normal', 65_536)).toBe('write');
    expect(policy.actionFor('normal', 65_537)).toBe('skip');
    expect(policy.actionFor('normal', 100_000_000)).toBe('skip');
  });

  it('never skips an important batch: writes it, or disconnects past the backlog limit', () => {
    expect(policy.actionFor('important', 65_537)).toBe('write');
    expect(policy.actionFor('important', 524_288)).toBe('write');
    expect(policy.actionFor('important', 524_289)).toBe('disconnect');
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
