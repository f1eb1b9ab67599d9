import type { Sender } from '@live-im/contracts';
import { element } from './elements';
import type { ChatLine, GiftLine, SystemLine } from './room-messages';

/** Lines kept; older ones leave the top so a busy room does not grow the page without end. */
const MAX_LINES = 200;
/** Within this many pixels of the bottom the list follows new lines; further up the reader is reading. */
const FOLLOW_SLACK_PX = 48;

/**
 * The chat beside the stage: who said what, gifts and system lines styled apart. It follows new
 * lines while the reader is at the bottom; scrolled up, a button offers the way back down.
 */
export class ChatList {
  private readonly shown = new Set<string>();

  constructor(
    private readonly list: HTMLOListElement,
    private readonly jumpButton: HTMLButtonElement,
    private readonly isOwn: (sender: Sender) => boolean,
  ) {
    this.list.addEventListener('scroll', () => {
      if (this.atBottom()) this.jumpButton.hidden = true;
    });
    this.jumpButton.addEventListener('click', () => this.scrollToEnd());
  }

  chat(line: ChatLine): void {
    this.add(
      line.messageId,
      element('li', {
        className: `chat-line chat-line-chat${this.isOwn(line.from) ? ' chat-line-own' : ''}`,
        attrs: { 'data-message-id': line.messageId },
        children: [...senderParts(line.from), element('span', { className: 'chat-text', text: line.text })],
      }),
    );
  }

  gift(line: GiftLine): void {
    this.add(
      line.messageId,
      element('li', {
        className: `chat-line chat-line-gift${this.isOwn(line.from) ? ' chat-line-own' : ''}`,
        attrs: { 'data-message-id': line.messageId, 'data-gift': line.giftId },
        children: [
          ...senderParts(line.from),
          element('span', { className: 'chat-text', text: 'sent ' }),
          element('span', { className: 'gift-name', text: line.name }),
          element('span', { className: 'gift-count', text: ` ×${line.count}` }),
        ],
      }),
    );
  }

  system(line: SystemLine): void {
    this.add(
      line.messageId,
      element('li', {
        className: 'chat-line chat-line-system',
        attrs: { 'data-message-id': line.messageId, 'data-event': line.event },
        children: [element('span', { className: 'chat-text', text: line.text })],
      }),
    );
  }

  /** A line from the page itself (joined, signed in), not from the room. */
  notice(text: string): void {
    this.add(undefined, element('li', { className: 'chat-line chat-line-notice', text }));
  }

  private add(messageId: string | undefined, line: HTMLLIElement): void {
    // A message may come twice (join's recent messages, then a resume); show it once.
    if (messageId !== undefined) {
      if (this.shown.has(messageId)) return;
      this.shown.add(messageId);
    }
    const follow = this.atBottom();
    this.list.append(line);
    while (this.list.children.length > MAX_LINES) {
      const oldest = this.list.firstElementChild;
      if (!(oldest instanceof HTMLElement)) break;
      const id = oldest.dataset['messageId'];
      if (id !== undefined) this.shown.delete(id);
      oldest.remove();
    }
    if (follow) this.scrollToEnd();
    else this.jumpButton.hidden = false;
  }

  private atBottom(): boolean {
    return this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight <= FOLLOW_SLACK_PX;
  }

  private scrollToEnd(): void {
    this.list.scrollTop = this.list.scrollHeight;
    this.jumpButton.hidden = true;
  }
}

function senderParts(from: Sender): HTMLElement[] {
  return [
    element('span', {
      className: 'chat-level',
      text: `Lv${from.level}`,
      attrs: { 'data-level': levelBand(from.level) },
    }),
    element('span', { className: 'chat-nick', text: from.nickname }),
  ];
}

/** Levels in bands of ten pick the badge colour. */
function levelBand(level: number): string {
  return String(Math.min(5, Math.floor(level / 10)));
}
