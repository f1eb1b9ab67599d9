import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { USUAL_CHROMIUM_PATHS, WORKSPACE_ROOT } from '@live-im/testing';
import {
  describeInNamespaces,
  executablesOnPath,
  IsolatedHost,
  type NestedRun,
} from './support/isolated-host';

const INSTALL_LINE =
  'No Chromium for the browser specs: CHROMIUM_PATH=/nowhere/chromium is not an executable file; install it (Debian: sudo apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium or Chrome executable.';

/**
 * The browser spec where no Chromium can be found (CHROMIUM_PATH points nowhere, every usual path
 * and every chromium on PATH hidden): it fails at once with one line saying how to install one,
 * starts no app cluster, and the run ends by itself with no process left.
 */
describeInNamespaces('the browser spec without chromium', () => {
  let host: IsolatedHost;
  let run: NestedRun;
  let started: number;

  beforeAll(async () => {
    host = await IsolatedHost.create();
    started = Date.now();
    const hide = [
      ...USUAL_CHROMIUM_PATHS.filter((path) => existsSync(path)),
      ...executablesOnPath('chromium'),
    ];
    run = await host.jest(['apps/live-e2e/src/web-page.spec.ts'], {
      env: { CHROMIUM_PATH: '/nowhere/chromium' },
      hide: [...new Set(hide)],
      timeoutMs: 120_000,
    });
  });

  afterAll(async () => {
    await host?.close();
  });

  it('fails every test of the spec with the one install line', () => {
    expect(run.timedOut).toBe(false);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain(`test run: the browser specs will fail: ${INSTALL_LINE}`);
    const failures = run.output.split('\n').filter((line) => line.startsWith('  ● the live-room web page'));
    expect(failures.length).toBeGreaterThan(0);
    // Each failure says the line and nothing else: no stack, no launch log.
    const messages = run.output.split(/\n {2}● the live-room web page[^\n]*\n\n/).slice(1);
    for (const message of messages) expect(message.trim().split('\n')[0]?.trim()).toBe(INSTALL_LINE);
    expect(run.output).toMatch(/Tests:\s+\d+ failed, \d+ total/);
  });

  it('starts no app, ends by itself and leaves no process behind', async () => {
    // AppProcess logs every app it starts to tmp/test-logs/<label>.log; the spec's are live-web-*.
    const logs = join(WORKSPACE_ROOT, 'tmp/test-logs');
    const appLogs = existsSync(logs) ? readdirSync(logs).filter((name) => name.startsWith('live-web-')) : [];
    expect(appLogs.filter((name) => statSync(join(logs, name)).mtimeMs >= started)).toEqual([]);
    expect(run.output).not.toMatch(/left behind|had not exited/);
    expect(run.groupLeftovers).toEqual([]);
    expect(await host.pids()).toEqual([]);
  });
});
