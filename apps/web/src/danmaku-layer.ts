import { DanmakuRows } from './danmaku-rows';
import { element, removeAfterAnimation } from './elements';

const DURATION_MS = 8000;
const GAP_PX = 32;
/** Must match `--danmaku-row-height` in styles.css. */
const ROW_HEIGHT_PX = 34;
/** Danmaku fly over the top three quarters of the stage, leaving the bottom to the host. */
const SKY_SHARE = 0.75;
/** Danmaku waiting for a free row; past it the oldest are dropped (the chat list still has them). */
const MAX_WAITING = 40;
const RETRY_MS = 250;

export interface Danmaku {
  text: string;
  /** Sent by this viewer: outlined so they find their own. */
  own: boolean;
}

/**
 * Chat flying right to left across the stage, one CSS animation each, in rows that never let two
 * touch. When every row is busy they wait briefly; a flood is thinned rather than piled up.
 */
export class DanmakuLayer {
  private readonly rows = new DanmakuRows({ durationMs: DURATION_MS, gapPx: GAP_PX });
  private readonly waiting: Danmaku[] = [];
  private retry: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly layer: HTMLElement) {}

  launch(danmaku: Danmaku): void {
    this.waiting.push(danmaku);
    if (this.waiting.length > MAX_WAITING) this.waiting.shift();
    this.drain();
  }

  clear(): void {
    this.waiting.length = 0;
    this.layer.replaceChildren();
  }

  private drain(): void {
    if (this.retry !== undefined) {
      clearTimeout(this.retry);
      this.retry = undefined;
    }
    const stageWidth = this.layer.clientWidth;
    const rowCount = Math.max(1, Math.floor((this.layer.clientHeight * SKY_SHARE) / ROW_HEIGHT_PX));
    while (this.waiting.length > 0) {
      const next = this.waiting[0];
      const node = element('span', {
        className: next.own ? 'danmaku danmaku-own' : 'danmaku',
        text: next.text,
      });
      // Measured in place (hidden) to know how long it is before picking a row.
      node.style.visibility = 'hidden';
      this.layer.append(node);
      const width = node.offsetWidth;
      const row = this.rows.claim(performance.now(), width, stageWidth, rowCount);
      if (row === undefined) {
        node.remove();
        this.retry = setTimeout(() => this.drain(), RETRY_MS);
        return;
      }
      this.waiting.shift();
      node.style.setProperty('--danmaku-row', String(row));
      node.style.setProperty('--danmaku-travel', `${stageWidth + width}px`);
      node.style.setProperty('--danmaku-duration', `${DURATION_MS}ms`);
      node.style.visibility = '';
      node.classList.add('danmaku-flying');
      removeAfterAnimation(node, DURATION_MS + 1000);
    }
  }
}
