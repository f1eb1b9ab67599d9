import type { Gift } from '@live-im/contracts';
import { element } from './elements';
import { GIFT_GLYPHS, giftAnimationOf, glyph } from './gift-layer';

/** The catalogue as a row of buttons; disabled for guests, and per button while its send is in flight. */
export class GiftBar {
  private enabled = false;
  private readonly sending = new Set<string>();

  constructor(
    private readonly bar: HTMLElement,
    private readonly send: (gift: Gift) => Promise<void>,
  ) {}

  show(gifts: readonly Gift[]): void {
    this.bar.replaceChildren(
      ...gifts.map((gift) => {
        const button = element('button', {
          className: 'gift-button',
          attrs: {
            type: 'button',
            'data-gift': gift.giftId,
            'data-animation': giftAnimationOf(gift.animation),
            title: `${gift.name} · ${gift.price} coins`,
          },
          children: [
            glyph(GIFT_GLYPHS[giftAnimationOf(gift.animation)], 'gift-icon'),
            element('span', { className: 'gift-label', text: gift.name }),
            element('span', { className: 'gift-price', text: String(gift.price) }),
          ],
        });
        button.addEventListener('click', () => void this.onClick(gift, button));
        return button;
      }),
    );
    this.refresh();
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    this.bar.classList.toggle('gift-bar-locked', !enabled);
    this.refresh();
  }

  private async onClick(gift: Gift, button: HTMLButtonElement): Promise<void> {
    if (!this.enabled || this.sending.has(gift.giftId)) return;
    this.sending.add(gift.giftId);
    this.refresh();
    try {
      await this.send(gift);
      button.classList.remove('gift-button-sent');
      // Restart the little "sent" pulse even on quick repeats.
      void button.offsetWidth;
      button.classList.add('gift-button-sent');
    } finally {
      this.sending.delete(gift.giftId);
      this.refresh();
    }
  }

  private refresh(): void {
    this.bar.querySelectorAll<HTMLButtonElement>('button[data-gift]').forEach((button) => {
      button.disabled = !this.enabled || this.sending.has(button.dataset['gift'] ?? '');
    });
  }
}
