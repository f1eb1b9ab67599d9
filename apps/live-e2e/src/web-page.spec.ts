import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Gift } from '@live-im/contracts';
import { waitFor } from '@live-im/testing';
import type { Browser } from 'playwright-core';
import { PASSWORD, registerUser, roomIdFor, unique } from './support/fixtures';
import { LiveCluster } from './support/live-cluster';
import {
  ARTIFACTS_DIR,
  launchChromium,
  requireBuiltPage,
  RoomPageDriver,
  WEB_DIST_DIR,
} from './support/web-page-driver';

/**
 * The live-room page (apps/web, built) in headless Chromium against the real cluster: two signed-in
 * viewers on different gateways see each other's chat in the list and as danmaku, gifts animate on
 * both stages, markup in chat stays text, and a guest gets the sign-in form instead of the send box.
 */
describe('the live-room web page', () => {
  const roomId = roomIdFor('web');
  const title = `Web page ${unique()}`;
  let cluster: LiveCluster;
  let browser: Browser;
  let viewerA: RoomPageDriver;
  let viewerB: RoomPageDriver;
  const drivers: RoomPageDriver[] = [];

  beforeAll(async () => {
    requireBuiltPage();
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    // The browser first: without Chromium the suite fails at once, before any app is started.
    browser = await launchChromium();
    cluster = await LiveCluster.start({ label: 'web', gatewayEnv: { WEB_DIST_DIR } });
    const api = cluster.api();
    const owner = await registerUser(api, 'host');
    await api.createRoom(roomId, title, owner.user.userId);
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(drivers.map((driver) => driver.close()));
    // Each closed even when the other's close fails.
    await Promise.allSettled([browser?.close(), cluster?.close()]);
  });

  async function open(gateway: number): Promise<RoomPageDriver> {
    const driver = await RoomPageDriver.open(browser, cluster.gateways[gateway].url, roomId, title);
    drivers.push(driver);
    return driver;
  }

  it('serves the page at / of every gateway', async () => {
    for (const gateway of cluster.gateways) {
      const res = await fetch(`${gateway.url}/?room=${roomId}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await res.text()).toContain('id="stage"');
    }
  });

  it('signs two viewers in through the page, on two gateways', async () => {
    // A creates an account with the form; B signs in with one made through the API.
    const userB = await registerUser(cluster.api(), 'viewer_b');
    [viewerA, viewerB] = await Promise.all([open(0), open(1)]);
    await Promise.all([
      viewerA.register(`viewer_a_${unique()}`, PASSWORD, 'Viewer A'),
      viewerB.login(userB.user.username, PASSWORD),
    ]);
    for (const viewer of [viewerA, viewerB]) {
      // Signed in: the page reconnected with the user token and rejoined the room.
      await viewer.waitForJoined(title);
      expect(await viewer.page.locator('#login-form').isVisible()).toBe(false);
    }
    expect(await viewerA.page.textContent('#account-name')).toBe('Viewer A');
  });

  it("shows one viewer's chat in the other's list and as danmaku across the stage", async () => {
    const text = `hello from A ${unique()}`;
    await viewerA.sendChat(text);
    for (const viewer of [viewerB, viewerA]) {
      await viewer.chatLine(text).waitFor({ timeout: 10_000 });
      await viewer.danmaku(text).waitFor({ state: 'attached', timeout: 10_000 });
    }
    expect(await viewerB.chatLine(text).locator('.chat-nick').textContent()).toBe('Viewer A');
  });

  it("plays a gift's animation on both stages and lists it in both chats", async () => {
    const { gifts } = (await cluster.api().raw('GET', '/api/gifts')).body as { gifts: Gift[] };
    // The showiest gift the catalogue has, so the screenshots show an animation.
    const gift = gifts.find((g) => g.animation === 'crown') ?? gifts[0];
    await viewerB.sendGift(gift.giftId);
    await Promise.all(
      [viewerA, viewerB].map((viewer) =>
        viewer.giftAnimation(gift.giftId).waitFor({ state: 'attached', timeout: 10_000 }),
      ),
    );
    for (const viewer of [viewerA, viewerB]) {
      await viewer.page
        .locator(`#chat-list .chat-line-gift[data-gift="${gift.giftId}"]`)
        .waitFor({ timeout: 15_000 });
    }
    // While the animation plays, with the danmaku of a fresh chat.
    await viewerA.sendChat('what a gift!');
    await viewerB.danmaku('what a gift!').waitFor({ state: 'attached', timeout: 10_000 });
    // Shot once the danmaku has scrolled fully onto the stage.
    await waitFor(
      async () => {
        const box = await viewerB.danmaku('what a gift!').boundingBox();
        const width = viewerB.page.viewportSize()?.width ?? 0;
        return box !== null && box.x + box.width <= width;
      },
      { what: 'the danmaku on stage' },
    );
    await Promise.all([
      viewerA.screenshot(join(ARTIFACTS_DIR, 'web-page-a.png')),
      viewerB.screenshot(join(ARTIFACTS_DIR, 'web-page-b.png')),
    ]);
  });

  it('shows markup in chat as text on both pages and never runs it', async () => {
    const markup = '<img src=x onerror="window.__xss=1">';
    await viewerA.sendChat(markup);
    for (const viewer of [viewerA, viewerB]) {
      const line = viewer.chatLine(markup);
      await line.waitFor({ timeout: 10_000 });
      expect(await line.locator('.chat-text').textContent()).toBe(markup);
      await viewer.danmaku(markup).waitFor({ state: 'attached', timeout: 10_000 });
    }
    // An injected image would have failed to load (and run its handler) by the time one the test
    // loads itself from the same bad URL has failed.
    for (const viewer of [viewerA, viewerB]) {
      await viewer.page.evaluate(
        "new Promise((done) => { const probe = new Image(); probe.onload = probe.onerror = () => done(true); probe.src = 'x'; })",
      );
    }
    for (const viewer of [viewerA, viewerB]) {
      expect(await viewer.global('__xss')).toBeUndefined();
      expect(await viewer.page.locator('#chat-list img').count()).toBe(0);
      expect(await viewer.page.locator('#stage img').count()).toBe(0);
    }
  });

  it('offers a guest the sign-in form instead of the send box', async () => {
    const guest = await open(0);
    await guest.page.locator('#login-form').waitFor({ state: 'visible' });
    expect(await guest.page.locator('#send-box').isVisible()).toBe(false);
    expect(await guest.page.locator('#account-name').textContent()).toContain('guest');
    // Gifts are shown but locked until the guest signs in.
    await guest.page.locator('#gift-bar button[data-gift]').first().waitFor();
    expect(await guest.page.locator('#gift-bar button[data-gift]:enabled').count()).toBe(0);
    // The guest still watches: the room's chat reaches it.
    const text = `for the guest ${unique()}`;
    await viewerB.sendChat(text);
    await guest.chatLine(text).waitFor({ timeout: 10_000 });
  });

  it('tells a viewer when the room does not exist', async () => {
    const lost = await RoomPageDriver.load(browser, cluster.gateways[1].url, roomIdFor('nowhere'));
    drivers.push(lost);
    await lost.page
      .locator('#stage[data-status="unavailable"]')
      .waitFor({ state: 'attached', timeout: 10_000 });
    expect(await lost.page.textContent('#stage-notice-title')).toBe('This room does not exist');
    await lost.page.locator('#toasts .toast[data-code="NOT_FOUND"]').waitFor({ state: 'attached' });
  });

  it('ran without a script error on any page', () => {
    for (const driver of drivers) expect(driver.pageErrors).toEqual([]);
  });
});
