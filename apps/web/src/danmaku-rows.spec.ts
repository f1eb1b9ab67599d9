import { DanmakuRows } from './danmaku-rows';

describe('DanmakuRows', () => {
  const timing = { durationMs: 8000, gapPx: 0 };
  const STAGE = 800;

  it('fills rows top down while the ones above are busy', () => {
    const rows = new DanmakuRows(timing);
    expect(rows.claim(0, 200, STAGE, 3)).toBe(0);
    expect(rows.claim(0, 200, STAGE, 3)).toBe(1);
    expect(rows.claim(0, 200, STAGE, 3)).toBe(2);
    expect(rows.claim(0, 200, STAGE, 3)).toBeUndefined();
  });

  it('reuses a row once the danmaku ahead has entered and cannot be caught', () => {
    const rows = new DanmakuRows(timing);
    rows.claim(0, 200, STAGE, 1);
    // The tail of a 200 px danmaku enters after 8000 * 200 / 1000 = 1600 ms.
    expect(rows.claim(1599, 200, STAGE, 1)).toBeUndefined();
    expect(rows.claim(1600, 200, STAGE, 1)).toBe(0);
  });

  it('keeps a long, fast danmaku from running into a short, slow one', () => {
    const rows = new DanmakuRows(timing);
    rows.claim(0, 50, STAGE, 1);
    // Entered at 471 ms, but a 1200 px danmaku would reach the left edge at 1000 + 3200 < 8000.
    expect(rows.claim(1000, 1200, STAGE, 1)).toBeUndefined();
    // A danmaku of the same width never catches up.
    expect(rows.claim(1000, 50, STAGE, 1)).toBe(0);
    // Once the slow one has left, anything goes.
    expect(rows.claim(8000, 1200, STAGE, 1)).toBe(0);
  });

  it('follows the stage when the number of rows changes', () => {
    const rows = new DanmakuRows(timing);
    expect(rows.claim(0, 100, STAGE, 1)).toBe(0);
    expect(rows.claim(0, 100, STAGE, 2)).toBe(1);
    expect(rows.claim(0, 100, STAGE, 1)).toBeUndefined();
  });
});
