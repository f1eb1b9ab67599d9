import { auth, connect, type LiveClient, LiveError, type RoomHandle } from '@live-im/client-sdk';
import {
  ErrorCode,
  type Gift,
  type LaneMessages,
  type RoomMessage,
  type RpcErrorBody,
  type Sender,
  SystemEvent,
} from '@live-im/contracts';
import { AuthPanel, type AuthRequest } from './auth-panel';
import { ChatList } from './chat-list';
import { DanmakuLayer } from './danmaku-layer';
import { requiredElement } from './elements';
import { GiftBar } from './gift-bar';
import { GiftLayer } from './gift-layer';
import { LikeButton } from './like-button';
import { errorBodyOf } from './page-errors';
import { chatLineOf, giftLineOf, likeAggregateOf, systemLineOf } from './room-messages';
import { RoomView } from './room-view';
import { SendBox } from './send-box';
import type { SessionStore } from './session-store';
import { Toaster } from './toaster';

/** Who the page is connected as. Guests (and anonymous viewers, when even a guest token failed) watch only. */
export interface PageIdentity {
  kind: 'user' | 'guest';
  /** Absent for an anonymous viewer. */
  token?: string;
  userId: string;
  nickname: string;
}

export interface LiveRoomPageOptions {
  /** The gateway: the page's own origin, which serves it. */
  gatewayUrl: string;
  roomId: string;
  sessions: SessionStore;
  root: ParentNode;
}

/** Handshake refusals that end a session (the SDK stops that client): the page carries on with a lesser identity. */
const SESSION_REFUSED: ReadonlySet<string> = new Set([ErrorCode.UNAUTHENTICATED, ErrorCode.BANNED]);

const ANONYMOUS: PageIdentity = { kind: 'guest', userId: '', nickname: 'guest' };

/** Join failures that pass by themselves (a restart, an outage): the page tries again, waiting longer each time. */
const JOIN_RETRYABLE: ReadonlySet<string> = new Set([
  ErrorCode.SERVICE_UNAVAILABLE,
  ErrorCode.DEADLINE_EXCEEDED,
  ErrorCode.WORKER_LOST,
  ErrorCode.OVERLOADED,
  ErrorCode.INTERNAL,
]);
const JOIN_RETRY_FIRST_MS = 2000;
const JOIN_RETRY_MAX_MS = 30_000;

/**
 * The live room: one SDK connection in one room, as a guest until the viewer signs in, then again
 * with the user's token. Room messages become chat lines, danmaku, gift animations and counts.
 */
export class LiveRoomPage {
  private readonly view: RoomView;
  private readonly toaster: Toaster;
  private readonly chat: ChatList;
  private readonly danmaku: DanmakuLayer;
  private readonly gifts: GiftLayer;
  private readonly giftBar: GiftBar;
  private readonly likes: LikeButton;
  private readonly sendBox: SendBox;
  private readonly authPanel: AuthPanel;
  private identity: PageIdentity | undefined;
  private client: LiveClient | undefined;
  private room: RoomHandle | undefined;
  /** Bumped on every (re)connection: events of an older connection are ignored. */
  private generation = 0;
  private welcomed = false;
  /** Consecutive failed joins, for the wait before the next attempt. */
  private failedJoins = 0;

  constructor(private readonly options: LiveRoomPageOptions) {
    const { root } = options;
    this.view = new RoomView(root);
    this.toaster = new Toaster(requiredElement(root, '#toasts', HTMLElement));
    this.chat = new ChatList(
      requiredElement(root, '#chat-list', HTMLOListElement),
      requiredElement(root, '#chat-jump', HTMLButtonElement),
      (sender) => this.isOwn(sender),
    );
    this.danmaku = new DanmakuLayer(requiredElement(root, '#danmaku-layer', HTMLElement));
    this.gifts = new GiftLayer(requiredElement(root, '#gift-layer', HTMLElement));
    this.giftBar = new GiftBar(requiredElement(root, '#gift-bar', HTMLElement), (gift) =>
      this.sendGift(gift),
    );
    this.likes = new LikeButton(root, (count) => this.like(count));
    this.sendBox = new SendBox(root, (text) => this.sendChat(text));
    this.authPanel = new AuthPanel(
      root,
      (request) => this.signIn(request),
      (error) => this.toaster.error(error),
    );
    this.view.onSignOut(() => this.signOut());
  }

  async start(): Promise<void> {
    void this.loadGiftCatalogue();
    const stored = this.options.sessions.userSession();
    await this.enter(
      stored === undefined
        ? this.guestIdentity()
        : { kind: 'user', token: stored.token, userId: stored.userId, nickname: stored.nickname },
    );
  }

  private async loadGiftCatalogue(): Promise<void> {
    try {
      this.giftBar.show(await auth.gifts(this.options.gatewayUrl));
    } catch (error) {
      this.toaster.error(errorBodyOf(error));
    }
  }

  /** A guest token for this device; when even that fails the page still watches, anonymously. */
  private async guestIdentity(): Promise<PageIdentity> {
    try {
      const guest = await auth.guest(this.options.gatewayUrl, this.options.sessions.deviceId());
      return { kind: 'guest', token: guest.token, userId: guest.guestId, nickname: 'guest' };
    } catch (error) {
      this.toaster.error(errorBodyOf(error));
      return ANONYMOUS;
    }
  }

  /**
   * Connects as `identity` and joins the room. The earlier connection is dropped at once (before
   * the identity is even known), so nothing it still reports can start a second switch.
   */
  private async enter(next: PageIdentity | Promise<PageIdentity>): Promise<void> {
    this.generation += 1;
    const generation = this.generation;
    const current = (): boolean => generation === this.generation;
    this.client?.close();
    this.client = undefined;
    this.room = undefined;
    this.setJoined(false);
    this.view.setConnection('connecting');
    this.view.setStatus('connecting');
    const identity = await next;
    if (!current()) return;
    this.identity = identity;
    this.showIdentity(identity);

    const client = connect({
      url: this.options.gatewayUrl,
      ...(identity.token === undefined ? {} : { token: identity.token }),
    });
    this.client = client;
    client.on('state', (state) => {
      if (current()) this.view.setConnection(state);
    });
    client.on('error', (error) => {
      if (current()) this.onClientError(error);
    });

    let room: RoomHandle;
    try {
      room = await client.joinRoom(this.options.roomId);
    } catch (error) {
      if (!current()) return;
      // The room was not joined: this connection has nothing left to carry.
      client.close();
      this.onJoinRefused(errorBodyOf(error), identity, current);
      return;
    }
    if (!current()) return;
    this.failedJoins = 0;
    this.room = room;
    this.setJoined(true);
    this.watch(room, current);
  }

  private watch(room: RoomHandle, current: () => boolean): void {
    this.view.showRoom(room.info);
    this.view.setOnline(room.online);
    this.view.showNotice(
      room.info.status === 'open' ? undefined : { title: 'The live has ended', detail: '' },
    );
    if (!this.welcomed) this.chat.notice(`Welcome to ${room.info.title}`);
    this.welcomed = true;
    this.showBacklog(room.recent);
    room.on('chat', (message) => {
      if (current()) this.onChat(message);
    });
    room.on('gift', (message) => {
      if (current()) this.onGift(message, true);
    });
    room.on('like', (message) => {
      const aggregate = likeAggregateOf(message);
      if (current() && aggregate !== undefined) this.likes.aggregate(aggregate.total);
    });
    room.on('system', (message) => {
      if (current()) this.onSystem(message);
    });
    room.on('online', (online) => {
      if (current()) this.view.setOnline(online);
    });
    room.on('kicked', (event) => {
      if (!current()) return;
      this.room = undefined;
      this.setJoined(false);
      this.view.setStatus('unavailable');
      this.view.showNotice({ title: 'You were removed from this room', detail: event.reason });
    });
    room.on('closed', (event) => {
      if (!current()) return;
      this.room = undefined;
      this.setJoined(false);
      this.view.setStatus(
        event.code === undefined || event.code === ErrorCode.ROOM_CLOSED ? 'ended' : 'unavailable',
      );
      this.view.showNotice({
        title: roomUnavailable(event.code ?? ErrorCode.ROOM_CLOSED),
        detail: event.reason,
      });
    });
  }

  /** The room's recent messages at join: listed (oldest first), but not flown or animated again. */
  private showBacklog(recent: LaneMessages): void {
    const backlog = [...recent.important, ...recent.normal].sort((a, b) => a.ts - b.ts);
    for (const message of backlog) {
      if (message.type === 'chat') {
        const line = chatLineOf(message);
        if (line !== undefined) this.chat.chat(line);
      } else if (message.type === 'gift') {
        this.onGift(message, false);
      } else if (message.type === 'system') {
        const line = systemLineOf(message);
        if (line !== undefined) this.chat.system(line);
      } else if (message.type === 'like') {
        const aggregate = likeAggregateOf(message);
        if (aggregate !== undefined) this.likes.aggregate(aggregate.total);
      }
    }
  }

  private onChat(message: RoomMessage): void {
    const line = chatLineOf(message);
    if (line === undefined) return;
    this.chat.chat(line);
    this.danmaku.launch({ text: line.text, own: this.isOwn(line.from) });
  }

  private onGift(message: RoomMessage, animate: boolean): void {
    const line = giftLineOf(message);
    if (line === undefined) return;
    this.chat.gift(line);
    if (animate) this.gifts.play(line);
  }

  private onSystem(message: RoomMessage): void {
    const line = systemLineOf(message);
    if (line === undefined) return;
    this.chat.system(line);
    if (line.event === SystemEvent.roomClosed) {
      this.view.setStatus('ended');
      this.view.showNotice({ title: 'The live has ended', detail: line.text });
    }
  }

  private onClientError(error: LiveError): void {
    if (SESSION_REFUSED.has(error.code)) {
      this.carryOnAfterRefusal(errorBodyOf(error));
      return;
    }
    // Failed connection attempts are retried by the SDK; the connection indicator shows them.
    if (error.details?.['url'] !== undefined && error.code === ErrorCode.SERVICE_UNAVAILABLE) return;
    this.toaster.error(errorBodyOf(error));
  }

  private onJoinRefused(error: RpcErrorBody, identity: PageIdentity, current: () => boolean): void {
    if (SESSION_REFUSED.has(error.code) && error.code !== ErrorCode.BANNED) {
      this.carryOnAfterRefusal(error);
      return;
    }
    this.view.setStatus(error.code === ErrorCode.ROOM_CLOSED ? 'ended' : 'unavailable');
    this.toaster.error(error);
    if (!JOIN_RETRYABLE.has(error.code)) {
      this.view.showNotice({ title: roomUnavailable(error.code), detail: `${error.code}: ${error.message}` });
      return;
    }
    const waitMs = Math.min(JOIN_RETRY_MAX_MS, JOIN_RETRY_FIRST_MS * 2 ** this.failedJoins);
    this.failedJoins += 1;
    this.view.showNotice({
      title: roomUnavailable(error.code),
      detail: `${error.code}: ${error.message} — trying again in ${Math.round(waitMs / 1000)} s`,
    });
    setTimeout(() => {
      if (current()) void this.enter(identity);
    }, waitMs);
  }

  /**
   * The gateway refused the session (a user's token expired or was revoked, a banned user): a user
   * goes back to watching as a guest, a refused guest watches anonymously.
   */
  private carryOnAfterRefusal(error: RpcErrorBody): void {
    const identity = this.identity;
    this.toaster.error(error);
    if (identity?.kind === 'user') {
      this.options.sessions.clearUserSession();
      void this.enter(this.guestIdentity());
    } else if (identity?.token !== undefined) {
      void this.enter(ANONYMOUS);
    }
  }

  /** The room on the current connection; until it is joined, sends are refused with a notice. */
  private joinedRoom(): RoomHandle | undefined {
    if (this.room === undefined) {
      this.toaster.error({
        code: ErrorCode.SERVICE_UNAVAILABLE,
        message: 'not in the room yet: still connecting',
      });
    }
    return this.room;
  }

  private async sendChat(text: string): Promise<boolean> {
    const room = this.joinedRoom();
    if (room === undefined) return false;
    try {
      await room.sendChat(text);
      return true;
    } catch (error) {
      this.onSendRefused(errorBodyOf(error));
      return false;
    }
  }

  private async sendGift(gift: Gift): Promise<void> {
    const room = this.joinedRoom();
    if (room === undefined) return;
    try {
      await room.sendGift(gift.giftId, 1);
    } catch (error) {
      this.onSendRefused(errorBodyOf(error));
    }
  }

  private async like(count: number): Promise<void> {
    const room = this.joinedRoom();
    if (room === undefined) throw new LiveError(ErrorCode.SERVICE_UNAVAILABLE, 'not in the room yet');
    try {
      await room.like(count);
    } catch (error) {
      this.onSendRefused(errorBodyOf(error));
      throw error;
    }
  }

  /** A send refused because the token expired mid-visit means signing in again. */
  private onSendRefused(error: RpcErrorBody): void {
    if (error.code === ErrorCode.UNAUTHENTICATED) {
      this.carryOnAfterRefusal(error);
      return;
    }
    this.toaster.error(error);
  }

  private async signIn(request: AuthRequest): Promise<void> {
    const { gatewayUrl } = this.options;
    try {
      const session =
        request.mode === 'login'
          ? await auth.login(gatewayUrl, { username: request.username, password: request.password })
          : await auth.register(gatewayUrl, {
              username: request.username,
              password: request.password,
              nickname: request.nickname,
            });
      this.options.sessions.saveUserSession({
        token: session.token,
        expiresAt: session.expiresAt,
        userId: session.user.userId,
        nickname: session.user.nickname,
      });
      this.toaster.info(`Signed in as ${session.user.nickname}`);
      await this.enter({
        kind: 'user',
        token: session.token,
        userId: session.user.userId,
        nickname: session.user.nickname,
      });
    } catch (error) {
      this.toaster.error(errorBodyOf(error));
    }
  }

  private signOut(): void {
    this.options.sessions.clearUserSession();
    void this.enter(this.guestIdentity());
  }

  private showIdentity(identity: PageIdentity): void {
    const signedIn = identity.kind === 'user';
    this.view.setAccount(identity.nickname, signedIn);
    this.sendBox.setVisible(signedIn);
    this.authPanel.setVisible(!signedIn);
  }

  /** Sends, gifts and likes are offered to signed-in users while the room is joined. */
  private setJoined(joined: boolean): void {
    const canSend = joined && this.identity?.kind === 'user';
    this.sendBox.setReady(canSend);
    this.giftBar.setEnabled(canSend);
    this.likes.setEnabled(canSend);
  }

  private isOwn(sender: Sender): boolean {
    return (
      this.identity !== undefined && this.identity.userId !== '' && sender.userId === this.identity.userId
    );
  }
}

function roomUnavailable(code: string): string {
  switch (code) {
    case ErrorCode.NOT_FOUND:
      return 'This room does not exist';
    case ErrorCode.ROOM_CLOSED:
      return 'The live has ended';
    case ErrorCode.BANNED:
      return 'You are banned from this room';
    default:
      return 'The room cannot be joined right now';
  }
}
