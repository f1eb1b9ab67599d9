import { ErrorCode } from '@live-im/contracts';
import { requiredElement } from './elements';
import { LiveRoomPage } from './live-room-page';
import { errorBodyOf } from './page-errors';
import { roomAddressOf } from './room-address';
import { RoomView } from './room-view';
import { type KeyValueStorage, PageLifetimeStorage, SessionStore } from './session-store';
import { Toaster } from './toaster';

/** localStorage, or page-lifetime storage where the browser refuses it (some private modes throw on access). */
function pageStorage(): KeyValueStorage {
  try {
    return window.localStorage;
  } catch {
    return new PageLifetimeStorage();
  }
}

function boot(): void {
  const address = roomAddressOf(window.location.search);
  if (!address.ok) {
    const view = new RoomView(document);
    view.setStatus('unavailable');
    view.showNotice({ title: 'Not a room id', detail: `?room=${address.given}: ${address.problem}` });
    new Toaster(requiredElement(document, '#toasts', HTMLElement)).error({
      code: ErrorCode.INVALID_ARGUMENT,
      message: `room: ${address.problem}`,
    });
    return;
  }
  const page = new LiveRoomPage({
    // The gateway serves this page, so its origin is the gateway.
    gatewayUrl: window.location.origin,
    roomId: address.roomId,
    sessions: new SessionStore(pageStorage()),
    root: document,
  });
  page.start().catch((error: unknown) => {
    new Toaster(requiredElement(document, '#toasts', HTMLElement)).error(errorBodyOf(error));
  });
}

boot();
