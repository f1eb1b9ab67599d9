import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppProcess, freePorts, WORKSPACE_ROOT } from '@live-im/testing';
import { runChecker, type CheckReport } from './support/deploy-check';

const HEALTH_CONTROLLER = join(WORKSPACE_ROOT, 'libs/health/src/health.controller.ts');

/** The routes HealthController declares, as absolute paths. */
function controllerRoutes(): string[] {
  const source = readFileSync(HEALTH_CONTROLLER, 'utf8');
  return [...source.matchAll(/@Get\('([^']*)'\)/g)].map((m) => `/${m[1]}`).sort();
}

describe('probe paths of the rendered overlays', () => {
  let report: CheckReport;
  let app: AppProcess | undefined;

  beforeAll(async () => {
    ({ report } = await runChecker());
    // node-manager needs nothing but its own ports: no Redis, no brokers.
    const [httpPort, routerPort, pubPort] = await freePorts(3);
    app = await AppProcess.start('node-manager', {
      httpPort,
      env: {
        NM_ROUTER_BIND: `tcp://127.0.0.1:${routerPort}`,
        NM_PUB_BIND: `tcp://127.0.0.1:${pubPort}`,
      },
      label: `deploy-check-node-manager-${httpPort}`,
    });
  });

  afterAll(async () => {
    await app?.stop();
  });

  it("lists exactly the health controller's routes as served", () => {
    expect([...report.servedPaths].sort()).toEqual(controllerRoutes());
    expect(report.probePaths).toEqual({
      startupProbe: '/health/live',
      livenessProbe: '/health/live',
      readinessProbe: '/health/ready',
    });
  });

  it('renders only served paths, each probe kind on its own path', () => {
    const gets = report.overlays.flatMap((o) => o.httpGets);
    expect(gets.length).toBeGreaterThan(0);
    for (const get of gets) {
      expect(controllerRoutes()).toContain(get.path);
      if (get.use !== 'prometheus') expect(get.path).toBe(report.probePaths[get.use]);
    }
  });

  it('answers every rendered path on a running app: liveness 200, readiness 200 or 503, never 404', async () => {
    const gets = report.overlays.flatMap((o) => o.httpGets);
    const paths = [...new Set(gets.map((g) => g.path))].sort();
    expect(paths).toEqual(['/health/live', '/health/ready', '/metrics']);
    for (const path of paths) {
      const res = await fetch(`${app!.url}${path}`);
      const uses = new Set(gets.filter((g) => g.path === path).map((g) => g.use));
      if (uses.has('livenessProbe') || uses.has('startupProbe') || uses.has('prometheus'))
        expect(res.status).toBe(200);
      else expect([200, 503]).toContain(res.status);
      if (path === '/metrics') expect(await res.text()).toMatch(/^# HELP /m);
    }
  });
});
