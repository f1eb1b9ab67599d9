/** The timing every danmaku of a layer shares. */
export interface DanmakuTiming {
  /** Time to cross the stage, from the head entering at the right to the tail leaving at the left. */
  durationMs: number;
  /** Space kept between two danmaku of one row, in pixels. */
  gapPx: number;
}

interface RowState {
  /** When the last danmaku's tail (plus the gap) has entered the stage. */
  enteredAt: number;
  /** When the last danmaku has fully left the stage. */
  leftAt: number;
}

/**
 * Which row a new danmaku may fly in without touching the one ahead. Every danmaku crosses in the
 * same time, so a longer one is faster: it may only start once the previous one has fully entered
 * and will have left the stage before the new one reaches the left edge.
 */
export class DanmakuRows {
  private rows: RowState[] = [];

  constructor(private readonly timing: DanmakuTiming) {}

  /** The row to use at `now` for a danmaku `width` px wide on a stage `stageWidth` px wide, or undefined when every row is busy. */
  claim(now: number, width: number, stageWidth: number, rowCount: number): number | undefined {
    this.resize(rowCount);
    const travel = stageWidth + width;
    const { durationMs, gapPx } = this.timing;
    for (let row = 0; row < this.rows.length; row += 1) {
      const state = this.rows[row];
      const headAtLeftEdge = now + (durationMs * stageWidth) / travel;
      if (now < state.enteredAt || headAtLeftEdge < state.leftAt) continue;
      this.rows[row] = {
        enteredAt: now + (durationMs * (width + gapPx)) / travel,
        leftAt: now + durationMs,
      };
      return row;
    }
    return undefined;
  }

  private resize(rowCount: number): void {
    const count = Math.max(1, Math.floor(rowCount));
    while (this.rows.length < count) this.rows.push({ enteredAt: 0, leftAt: 0 });
    if (this.rows.length > count) this.rows = this.rows.slice(0, count);
  }
}
