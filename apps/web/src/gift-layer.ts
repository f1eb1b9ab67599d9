import { element, removeAfterAnimation } from './elements';
import type { GiftLine } from './room-messages';

/** The animations the catalogue may name (its `animation` field); anything else plays `float`. */
export const GIFT_ANIMATIONS = ['float', 'burst', 'rocket', 'crown'] as const;
export type GiftAnimation = (typeof GIFT_ANIMATIONS)[number];

export function giftAnimationOf(name: string): GiftAnimation {
  return (GIFT_ANIMATIONS as readonly string[]).includes(name) ? (name as GiftAnimation) : 'float';
}

/** Pictures the page draws with (icons/<glyph>.svg, as `glyph-<name>` CSS classes); never emoji, which not every system has. */
export type Glyph = 'heart' | 'star' | 'sparkle' | 'confetti' | 'flame' | 'rocket' | 'crown';

/** The main picture of each animation (also the gift bar's icon). */
export const GIFT_GLYPHS: Readonly<Record<GiftAnimation, Glyph>> = {
  float: 'heart',
  burst: 'star',
  rocket: 'rocket',
  crown: 'crown',
};

/** An element showing a glyph; its size is its font size. */
export function glyph(name: Glyph, className = ''): HTMLSpanElement {
  return element('span', { className: `glyph glyph-${name}${className === '' ? '' : ` ${className}`}` });
}

/** Lifetimes, matching the `gift-life-*` durations in styles.css (the fallback removal uses them). */
const LIFETIME_MS: Readonly<Record<GiftAnimation, number>> = {
  float: 3200,
  burst: 2600,
  rocket: 3400,
  crown: 4200,
};
const PARTICLES: Readonly<Record<GiftAnimation, number>> = { float: 7, burst: 14, rocket: 6, crown: 5 };
/** What flies around the main picture (the first particle is the picture itself). */
const SPARKS: Readonly<Record<GiftAnimation, readonly Glyph[]>> = {
  float: ['heart'],
  burst: ['confetti', 'sparkle', 'star'],
  rocket: ['flame', 'sparkle'],
  crown: ['sparkle', 'star'],
};
/** Animations on the stage at once; more wait their turn. */
const MAX_PLAYING = 3;
/** Gifts waiting to play; past it the oldest small ones are skipped (the chat list still shows them). */
const MAX_WAITING = 20;

/**
 * Plays each received gift's animation over the stage, a few at a time, in arrival order. Big
 * gifts (rocket, crown) are never the ones skipped when the queue overflows.
 */
export class GiftLayer {
  private readonly waiting: GiftLine[] = [];
  private playing = 0;

  constructor(private readonly layer: HTMLElement) {}

  play(gift: GiftLine): void {
    this.waiting.push(gift);
    if (this.waiting.length > MAX_WAITING) {
      const small = this.waiting.findIndex((g) => !isBig(giftAnimationOf(g.animation)));
      this.waiting.splice(small === -1 ? 0 : small, 1);
    }
    this.next();
  }

  clear(): void {
    this.waiting.length = 0;
    this.layer.replaceChildren();
    this.playing = 0;
  }

  private next(): void {
    while (this.playing < MAX_PLAYING && this.waiting.length > 0) {
      const gift = this.waiting.shift() as GiftLine;
      const animation = giftAnimationOf(gift.animation);
      const node = this.render(gift, animation);
      // Spread simultaneous gifts across the stage's height.
      node.style.setProperty('--gift-slot', String(this.playing));
      this.playing += 1;
      this.layer.append(node);
      removeAfterAnimation(node, LIFETIME_MS[animation] + 1000, () => {
        this.playing = Math.max(0, this.playing - 1);
        this.next();
      });
    }
  }

  private render(gift: GiftLine, animation: GiftAnimation): HTMLElement {
    const particles = Array.from({ length: PARTICLES[animation] }, (_, i) => {
      const sparks = SPARKS[animation];
      const particle = glyph(i === 0 ? GIFT_GLYPHS[animation] : sparks[i % sparks.length], 'gift-particle');
      particle.style.setProperty('--i', String(i));
      // A little disorder per particle (-1..1), so no two gifts look stamped out of one mould.
      particle.style.setProperty('--jitter', (Math.random() * 2 - 1).toFixed(2));
      particle.style.setProperty('--n', String(PARTICLES[animation]));
      return particle;
    });
    return element('div', {
      className: `gift-animation gift-anim-${animation}`,
      attrs: { 'data-animation': animation, 'data-gift': gift.giftId, 'aria-hidden': 'true' },
      children: [
        element('div', { className: 'gift-visual', children: particles }),
        element('div', {
          className: 'gift-caption',
          children: [
            element('span', { className: 'gift-caption-nick', text: gift.from.nickname }),
            element('span', { text: ' sent ' }),
            element('span', { className: 'gift-caption-name', text: gift.name }),
            element('span', { className: 'gift-caption-count', text: ` ×${gift.count}` }),
          ],
        }),
      ],
    });
  }
}

function isBig(animation: GiftAnimation): boolean {
  return animation === 'rocket' || animation === 'crown';
}
