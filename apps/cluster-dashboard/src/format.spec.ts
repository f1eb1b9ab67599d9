import { formatCount, formatDuration } from './format';

describe('format', () => {
  it('shortens durations for table cells', () => {
    expect(formatDuration(null)).toBe('–');
    expect(formatDuration(240)).toBe('240 ms');
    expect(formatDuration(3250)).toBe('3.3 s');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(5 * 60_000)).toBe('5 min');
    expect(formatDuration(3 * 3_600_000)).toBe('3.0 h');
    expect(formatDuration(72 * 3_600_000)).toBe('3 d');
  });

  it('shortens counts and rates', () => {
    expect(formatCount(undefined)).toBe('–');
    expect(formatCount(0)).toBe('0');
    expect(formatCount(7.46)).toBe('7.5');
    expect(formatCount(12.6)).toBe('13');
    expect(formatCount(1234)).toBe('1.2k');
    expect(formatCount(56_789)).toBe('57k');
    expect(formatCount(3_400_000)).toBe('3.4M');
  });
});
