import { SlowSocketPolicy } from './slow-socket-policy';

describe('SlowSocketPolicy', () => {
  const policy = new SlowSocketPolicy({ slowSocketPackets: 256, importantBacklogPackets: 2048 });

  it('writes normal batches up to the slow limit and skips past it', () => {
    expect(policy.actionFor('normal', 0)).toBe('write');
    expect(policy.actionFor('normal', 256)).toBe('write');
    expect(policy.actionFor('normal', 257)).toBe('skip');
    expect(policy.actionFor('normal', 1_000_000)).toBe('skip');
  });

  it('never skips an important batch: writes it, or disconnects past the backlog limit', () => {
    expect(policy.actionFor('important', 257)).toBe('write');
    expect(policy.actionFor('important', 2048)).toBe('write');
    expect(policy.actionFor('important', 2049)).toBe('disconnect');
  });

  it('rejects limits that are not positive integers', () => {
    expect(() => new SlowSocketPolicy({ slowSocketPackets: 0, importantBacklogPackets: 1 })).toThrow(
      /slowSocketPackets/,
    );
    expect(() => new SlowSocketPolicy({ slowSocketPackets: 1, importantBacklogPackets: 1.5 })).toThrow(
      /importantBacklogPackets/,
    );
  });
});
