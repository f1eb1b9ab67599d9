import { element, removeAfterAnimation, requiredElement } from './elements';

/** Clicks are gathered for this long and sent as one like(count): the server aggregates anyway. */
const FLUSH_MS = 400;
/** The most one like event may carry (LikeRequest). */
const MAX_PER_SEND = 100;

/**
 * The like button and the room's like total. The total is the server's aggregate plus this
 * viewer's own likes not yet counted in it, so a click shows at once.
 */
export class LikeButton {
  private readonly button: HTMLButtonElement;
  private readonly total: HTMLElement;
  private serverTotal = 0;
  private unsent = 0;
  private uncounted = 0;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    root: ParentNode,
    private readonly send: (count: number) => Promise<void>,
  ) {
    this.button = requiredElement(root, '#like-button', HTMLButtonElement);
    this.total = requiredElement(root, '#like-total', HTMLElement);
    this.button.addEventListener('click', () => this.click());
  }

  setEnabled(enabled: boolean): void {
    this.button.disabled = !enabled;
    this.button.title = enabled ? 'Like' : 'Sign in to like';
    if (!enabled) {
      this.unsent = 0;
      this.uncounted = 0;
      this.render();
    }
  }

  /** A like aggregate from the room: `total` counts every like so far, ours included. */
  aggregate(total: number): void {
    this.serverTotal = Math.max(this.serverTotal, total);
    this.uncounted = 0;
    this.render();
  }

  private click(): void {
    this.unsent += 1;
    this.uncounted += 1;
    this.render();
    this.floatHeart();
    this.flushTimer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  private async flush(): Promise<void> {
    this.flushTimer = undefined;
    const count = Math.min(this.unsent, MAX_PER_SEND);
    this.unsent -= count;
    if (this.unsent > 0) this.flushTimer = setTimeout(() => void this.flush(), FLUSH_MS);
    if (count === 0) return;
    try {
      await this.send(count);
    } catch {
      // Refused likes (rate limit, signed out) were never counted: take them back off the total.
      this.uncounted = Math.max(0, this.uncounted - count);
      this.render();
    }
  }

  private render(): void {
    this.total.textContent = String(this.serverTotal + this.uncounted);
  }

  private floatHeart(): void {
    const heart = element('span', { className: 'like-float', text: '❤' });
    heart.style.setProperty('--drift', `${Math.round(Math.random() * 40 - 20)}px`);
    this.button.append(heart);
    removeAfterAnimation(heart, 2000);
  }
}
