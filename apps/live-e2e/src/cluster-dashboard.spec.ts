import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor, WORKSPACE_ROOT } from '@live-im/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { clientMsgId, guest, inBatches, registerUser, roomIdFor } from './support/fixtures';
import { LiveCluster } from './support/live-cluster';
import { ARTIFACTS_DIR, launchChromium } from './support/web-page-driver';

/** Where `nx run cluster-dashboard:build` leaves the page; the node manager under test serves it. */
const DASHBOARD_DIST_DIR = join(WORKSPACE_ROOT, 'dist/apps/cluster-dashboard');

/** Viewers per room: distinct users, spread over both gateways. */
const BIG_ROOM_VIEWERS = 5;
const SMALL_ROOM_VIEWERS = 2;

/**
 * The node manager's dashboard (apps/cluster-dashboard, built) in headless Chromium against the
 * real cluster: a row for every running node and gateway with its state, the top rooms by viewers
 * summed over the gateways, charts drawn from the series, and a killed node turning dead.
 */
describe('the cluster dashboard', () => {
  const bigRoom = roomIdFor('dash-big');
  const smallRoom = roomIdFor('dash-small');
  let cluster: LiveCluster;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(join(DASHBOARD_DIST_DIR, 'index.html'))) {
      throw new Error(`no built dashboard at ${DASHBOARD_DIST_DIR}: run npx nx run cluster-dashboard:build`);
    }
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    // The browser first: without Chromium the suite fails at once, before any app is started.
    browser = await launchChromium();
    cluster = await LiveCluster.start({
      label: 'dashboard',
      env: { DASHBOARD_DIST_DIR },
      // The host sends two dozen messages at once: above the default per-user budget.
      roomEnv: { USER_RATE_POINTS: '1000', USER_RATE_WINDOW_SEC: '1' },
    });
    const api = cluster.api();
    const host = await registerUser(api, 'host');
    await api.createRoom(bigRoom, 'Big room', host.user.userId);
    await api.createRoom(smallRoom, 'Small room', host.user.userId);

    // The host chats and sends gifts in the big room; guests only watch.
    const { client: sender } = await cluster.joined(0, bigRoom, { token: host.token });
    const watchers = [
      ...Array.from({ length: BIG_ROOM_VIEWERS - 1 }, () => bigRoom),
      ...Array.from({ length: SMALL_ROOM_VIEWERS }, () => smallRoom),
    ];
    await inBatches(watchers, 10, async (roomId, i) => {
      const session = await guest(cluster.api(i % 2));
      await cluster.joined(i % 2, roomId, { token: session.token });
    });
    for (let i = 0; i < 20; i += 1) {
      await sender.send('chat', { roomId: bigRoom, text: `dashboard chat ${i}`, clientMsgId: clientMsgId() });
      if (i % 5 === 0)
        await sender.send('gift', { roomId: bigRoom, giftId: 'rose', count: 1, clientMsgId: clientMsgId() });
    }

    context = await browser.newContext({ viewport: { width: 1440, height: 1100 } });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    // Each closed even when the other's close fails.
    await Promise.allSettled([browser?.close(), cluster?.close()]);
  });

  it('serves the page at /dashboard/ with a CSP, and redirects /dashboard there', async () => {
    const res = await fetch(`${cluster.manager.url}/dashboard`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('dashboard/');
    const index = await fetch(`${cluster.manager.url}/dashboard/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await index.text()).toContain('id="nodes"');
  });

  it('shows a row for every running broadcast node and gateway, with its state', async () => {
    await page.goto(`${cluster.manager.url}/dashboard`);
    const view = await cluster.clusterView();
    const nodeIds = view.nodes.filter((n) => n.id.includes('-bn')).map((n) => n.id);
    const gatewayIds = view.members.filter((m) => m.kind === 'subscriber').map((m) => m.id);
    expect(nodeIds.sort()).toEqual(cluster.nodes.map((n) => n.name).sort());
    expect(gatewayIds.sort()).toEqual(cluster.gateways.map((g) => g.name).sort());
    for (const id of [...nodeIds, ...gatewayIds]) {
      const row = page.locator(`#nodes tr[data-node-id="${id}"]`);
      await row.waitFor({ timeout: 10_000 });
      expect(await row.getAttribute('data-state')).toBe('active');
      expect(await row.locator('.state').textContent()).toBe('active');
    }
    expect(await page.locator(`#nodes tr[data-node-id="${nodeIds[0]}"] td.col-kind`).textContent()).toBe(
      'broadcast',
    );
    // The room-service workers publish: they are listed too.
    await page.locator('#nodes tr[data-kind="publisher"]').first().waitFor({ timeout: 20_000 });
  });

  it('lists the top rooms by viewers over both gateways, the bigger room first', async () => {
    const rows = page.locator('#top-rooms-body tr');
    await waitFor(
      async () =>
        (await page
          .locator(`#top-rooms-body tr[data-room-id="${bigRoom}"] td.viewers`)
          .textContent()
          .catch(() => null)) === String(BIG_ROOM_VIEWERS) &&
        (await page
          .locator(`#top-rooms-body tr[data-room-id="${smallRoom}"] td.viewers`)
          .textContent()
          .catch(() => null)) === String(SMALL_ROOM_VIEWERS),
      { timeoutMs: 10_000, intervalMs: 200, what: 'both rooms with their viewers in the top rooms' },
    );
    const order = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-room-id')));
    expect(order.indexOf(bigRoom)).toBeLessThan(order.indexOf(smallRoom));
    expect(await rows.first().getAttribute('data-room-id')).toBe(bigRoom);
  });

  it('draws the charts from the series', async () => {
    for (const chart of ['chart-in', 'chart-out', 'chart-drops', 'chart-viewers']) {
      const canvas = page.locator(`#${chart} canvas`);
      await canvas.waitFor({ state: 'attached', timeout: 10_000 });
      const box = await canvas.boundingBox();
      expect(box?.width).toBeGreaterThan(100);
      expect(box?.height).toBeGreaterThan(50);
    }
    // The chat sent before the page opened shows as a rate in the series it charts.
    const series = (await (await fetch(`${cluster.manager.url}/cluster/series`)).json()) as {
      at: number[];
      total: { normalIn: number[]; viewers: number[] };
    };
    expect(series.at.length).toBeGreaterThan(0);
    expect(Math.max(...series.total.normalIn)).toBeGreaterThan(0);
    expect(series.total.viewers[series.total.viewers.length - 1]).toBe(BIG_ROOM_VIEWERS + SMALL_ROOM_VIEWERS);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'cluster-dashboard.png'), fullPage: true });
  });

  it('turns a killed broadcast node dead', async () => {
    const victim = cluster.nodes[1];
    await victim.kill();
    const row = page.locator(`#nodes tr[data-node-id="${victim.name}"]`);
    await page
      .locator(`#nodes tr[data-node-id="${victim.name}"][data-state="dead"]`)
      .waitFor({ timeout: 30_000 });
    expect(await row.locator('.state').textContent()).toBe('dead');
    // The survivor stays active; the page kept every other row.
    expect(
      await page.locator(`#nodes tr[data-node-id="${cluster.nodes[0].name}"]`).getAttribute('data-state'),
    ).toBe('active');
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'cluster-dashboard-dead-node.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('shows a banner when the manager is unreachable, keeping the last data', async () => {
    await cluster.manager.kill();
    await page.locator('#banner').waitFor({ state: 'visible', timeout: 30_000 });
    expect(await page.locator('#feed').getAttribute('data-state')).toBe('down');
    expect(await page.locator(`#nodes tr[data-node-id="${cluster.nodes[0].name}"]`).count()).toBe(1);
    expect(pageErrors).toEqual([]);
  });
});
