import type { RpcErrorBody } from '@live-im/contracts';
import { element } from './elements';

const TOAST_MS = 4500;
const MAX_TOASTS = 4;
/** The same notice again within this time is not shown twice (a burst of refused sends). */
const REPEAT_MS = 3000;

/** Small notices in a corner: errors carry their contract code (e.g. RATE_LIMITED, MUTED). */
export class Toaster {
  private readonly lastShown = new Map<string, number>();

  constructor(private readonly container: HTMLElement) {}

  error(error: RpcErrorBody): void {
    this.show('error', error.message, error.code);
  }

  info(message: string): void {
    this.show('info', message);
  }

  private show(tone: 'error' | 'info', message: string, code?: string): void {
    const key = `${code ?? ''}\n${message}`;
    const now = Date.now();
    if (now - (this.lastShown.get(key) ?? -Infinity) < REPEAT_MS) return;
    this.lastShown.set(key, now);
    if (this.lastShown.size > 50) this.lastShown.clear();
    const toast = element('div', {
      className: `toast toast-${tone}`,
      attrs: {
        role: tone === 'error' ? 'alert' : 'status',
        ...(code === undefined ? {} : { 'data-code': code }),
      },
      children: [
        ...(code === undefined ? [] : [element('strong', { className: 'toast-code', text: code })]),
        element('span', { className: 'toast-message', text: message }),
      ],
    });
    this.container.append(toast);
    while (this.container.children.length > MAX_TOASTS) this.container.firstElementChild?.remove();
    setTimeout(() => {
      toast.classList.add('toast-leaving');
      setTimeout(() => toast.remove(), 300);
    }, TOAST_MS);
  }
}
