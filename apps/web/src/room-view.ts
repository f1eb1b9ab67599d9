import type { OnlineInfo, RoomInfo } from '@live-im/contracts';
import { requiredElement } from './elements';

/** What the stage shows about the room as a whole. */
export type StageStatus = 'connecting' | 'live' | 'ended' | 'unavailable';

const numberFormat = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });

/** The room's figures and states in the page's static markup: title, LIVE badge, counts, connection, account. */
export class RoomView {
  private readonly stage: HTMLElement;
  private readonly title: HTMLElement;
  private readonly badge: HTMLElement;
  private readonly onlineCount: HTMLElement;
  private readonly viewersEver: HTMLElement;
  private readonly connection: HTMLElement;
  private readonly connectionLabel: HTMLElement;
  private readonly accountName: HTMLElement;
  private readonly signOut: HTMLButtonElement;
  private readonly notice: HTMLElement;
  private readonly noticeTitle: HTMLElement;
  private readonly noticeDetail: HTMLElement;

  constructor(root: ParentNode) {
    this.stage = requiredElement(root, '#stage', HTMLElement);
    this.title = requiredElement(root, '#room-title', HTMLElement);
    this.badge = requiredElement(root, '#live-badge', HTMLElement);
    this.onlineCount = requiredElement(root, '#online-count', HTMLElement);
    this.viewersEver = requiredElement(root, '#viewers-ever', HTMLElement);
    this.connection = requiredElement(root, '#connection', HTMLElement);
    this.connectionLabel = requiredElement(root, '#connection-label', HTMLElement);
    this.accountName = requiredElement(root, '#account-name', HTMLElement);
    this.signOut = requiredElement(root, '#sign-out', HTMLButtonElement);
    this.notice = requiredElement(root, '#stage-notice', HTMLElement);
    this.noticeTitle = requiredElement(root, '#stage-notice-title', HTMLElement);
    this.noticeDetail = requiredElement(root, '#stage-notice-detail', HTMLElement);
  }

  showRoom(room: RoomInfo): void {
    this.title.textContent = room.title;
    document.title = `${room.title} · live-im`;
    this.setStatus(room.status === 'open' ? 'live' : 'ended');
  }

  setStatus(status: StageStatus): void {
    this.stage.dataset['status'] = status;
    this.badge.textContent = status === 'ended' ? 'ENDED' : status === 'live' ? 'LIVE' : 'OFFLINE';
  }

  setOnline(online: Pick<OnlineInfo, 'count' | 'viewersEver'>): void {
    this.onlineCount.textContent = String(online.count);
    this.onlineCount.title = numberFormat.format(online.count);
    this.viewersEver.textContent = numberFormat.format(online.viewersEver);
    this.viewersEver.dataset['value'] = String(online.viewersEver);
  }

  /** The connection's state word, as the SDK reports it. */
  setConnection(state: string): void {
    this.connection.dataset['state'] = state;
    this.connectionLabel.textContent = state;
  }

  setAccount(name: string, signedIn: boolean): void {
    this.accountName.textContent = signedIn ? name : `${name} · watching`;
    this.signOut.hidden = !signedIn;
  }

  onSignOut(handler: () => void): void {
    this.signOut.addEventListener('click', handler);
  }

  /** A message over the stage (room ended, removed, unavailable); undefined hides it. */
  showNotice(notice: { title: string; detail: string } | undefined): void {
    this.notice.hidden = notice === undefined;
    this.noticeTitle.textContent = notice?.title ?? '';
    this.noticeDetail.textContent = notice?.detail ?? '';
  }
}
