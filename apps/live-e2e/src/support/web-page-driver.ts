import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findChromium, waitFor, WORKSPACE_ROOT } from '@live-im/testing';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

/** Where `nx run web:build` leaves the page; the gateways under test serve it from here. */
export const WEB_DIST_DIR = join(WORKSPACE_ROOT, 'dist/apps/web');

/** Screenshots and other files a run leaves for people to look at. */
export const ARTIFACTS_DIR = join(WORKSPACE_ROOT, 'tmp/artifacts');

/** Fails early, naming the build to run, when the page was not built. */
export function requireBuiltPage(): void {
  if (!existsSync(join(WEB_DIST_DIR, 'index.html'))) {
    throw new Error(`no built web page at ${WEB_DIST_DIR}: run NX_DAEMON=false npx nx run-many -t build`);
  }
}

/**
 * Headless Chromium (CHROMIUM_PATH, else Debian's or another at a usual path). Without one it
 * throws at once, before launching anything, with one line saying how to install it.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: findChromium(),
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
    ],
  });
}

/**
 * One viewer's tab on the live-room page, in its own browser context (its own localStorage, so
 * its own identity), driven through the page's stable ids the way a person would use it.
 */
export class RoomPageDriver {
  /** Uncaught errors of the page's scripts: a test expects none. */
  readonly pageErrors: string[] = [];

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    page.on('pageerror', (error) => this.pageErrors.push(error.message));
  }

  /** Opens `?room=<roomId>` on `gatewayUrl` and waits until the room is joined (its title shown). */
  static async open(
    browser: Browser,
    gatewayUrl: string,
    roomId: string,
    title: string,
  ): Promise<RoomPageDriver> {
    const driver = await RoomPageDriver.load(browser, gatewayUrl, roomId);
    await driver.waitForJoined(title);
    return driver;
  }

  /** Opens `?room=<roomId>` on `gatewayUrl` without waiting for anything. */
  static async load(browser: Browser, gatewayUrl: string, roomId: string): Promise<RoomPageDriver> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 760 } });
    const driver = new RoomPageDriver(context, await context.newPage());
    await driver.page.goto(`${gatewayUrl}/?room=${encodeURIComponent(roomId)}`);
    return driver;
  }

  /** The room is joined on the current connection: its title shown, the stage live. */
  async waitForJoined(title: string): Promise<void> {
    await this.page.locator('#stage[data-status="live"]').waitFor({ state: 'attached', timeout: 15_000 });
    await this.page.locator('#room-title', { hasText: title }).waitFor({ timeout: 15_000 });
  }

  /** Creates an account through the page's form and waits for the send box. */
  async register(username: string, password: string, nickname: string): Promise<void> {
    await this.fillLogin(username, password);
    await this.page.fill('#login-nickname', nickname);
    await this.page.click('#register-button');
    await this.waitForSendBox();
  }

  /** Signs in through the page's form and waits for the send box. */
  async login(username: string, password: string): Promise<void> {
    await this.fillLogin(username, password);
    await this.page.click('#login-button');
    await this.waitForSendBox();
  }

  async sendChat(text: string): Promise<void> {
    await this.page.fill('#send-input', text);
    await this.page.click('#send-button');
    // The box empties once the gateway accepted the message.
    await waitFor(async () => (await this.page.inputValue('#send-input')) === '', {
      timeoutMs: 10_000,
      what: `the send box to accept ${JSON.stringify(text)}`,
    }).catch(async (error: Error) => {
      throw new Error(`${error.message} (toasts: ${await this.toasts()})`);
    });
  }

  async sendGift(giftId: string): Promise<void> {
    const button = this.page.locator(`#gift-bar button[data-gift="${giftId}"]`);
    await button.and(this.page.locator(':enabled')).waitFor({ timeout: 10_000 });
    await button.click();
  }

  /** The chat line holding exactly `text` in its text part. */
  chatLine(text: string): Locator {
    return this.page
      .locator('#chat-list .chat-line')
      .filter({ has: this.page.locator('.chat-text', { hasText: text }) });
  }

  danmaku(text: string): Locator {
    return this.page.locator('#stage .danmaku', { hasText: text });
  }

  giftAnimation(giftId: string): Locator {
    return this.page.locator(`#stage .gift-animation[data-gift="${giftId}"]`);
  }

  /** The notices on screen, e.g. `RATE_LIMITED slow down`, joined for an assertion message. */
  async toasts(): Promise<string> {
    const texts = await this.page.locator('#toasts .toast').allTextContents();
    return texts.length === 0 ? 'none' : texts.join(' | ');
  }

  /** A global the page's scripts (or an injected one) may have set. */
  global(name: string): Promise<unknown> {
    return this.page.evaluate((key) => (globalThis as Record<string, unknown>)[key], name);
  }

  screenshot(path: string): Promise<Buffer> {
    return this.page.screenshot({ path });
  }

  close(): Promise<void> {
    return this.context.close();
  }

  private async fillLogin(username: string, password: string): Promise<void> {
    await this.page.locator('#login-form').waitFor({ state: 'visible', timeout: 10_000 });
    await this.page.fill('#login-username', username);
    await this.page.fill('#login-password', password);
  }

  private async waitForSendBox(): Promise<void> {
    await this.page.locator('#send-box').waitFor({ state: 'visible', timeout: 15_000 });
    await this.page.locator('#login-form').waitFor({ state: 'hidden', timeout: 15_000 });
  }
}
