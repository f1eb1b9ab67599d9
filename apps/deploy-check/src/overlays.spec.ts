import { names, run, runChecker, type CheckReport, type OverlayReport } from './support/deploy-check';

const APPS = ['broadcast-node', 'gateway', 'node-manager', 'room-service', 'rpc-broker', 'user-service'];
/** Apps that need a stable identity or DNS name (ZeroMQ peers): StatefulSets. */
const STATEFUL_APPS = ['broadcast-node', 'node-manager', 'rpc-broker'];
const MULTI_REPLICA_APPS = ['broadcast-node', 'gateway', 'room-service', 'rpc-broker', 'user-service'];

describe('deploy/k8s overlays', () => {
  let code: number;
  let report: CheckReport;
  const overlay = (name: string): OverlayReport => {
    const found = report.overlays.find((o) => o.overlay === name);
    if (!found) throw new Error(`overlay ${name} was not checked`);
    return found;
  };

  beforeAll(async () => {
    ({ code, report } = await runChecker());
  });

  it('renders and validates every overlay without a problem', () => {
    const problems = report.overlays.flatMap((o) =>
      o.problems.map((p) => `${o.overlay} ${p.resource} [${p.rule}] ${p.message}`),
    );
    expect(problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(code).toBe(0);
    expect(report.overlays.map((o) => o.overlay).sort()).toEqual(['dev', 'prod']);
  });

  it.each(['dev', 'prod'])('%s runs every app, stateful ones in StatefulSets', (name) => {
    const o = overlay(name);
    const workloads = [...names(o, 'Deployment'), ...names(o, 'StatefulSet')];
    for (const app of APPS) expect(workloads).toContain(app);
    expect(names(o, 'Deployment')).toEqual(['gateway', 'room-service', 'user-service']);
    for (const app of STATEFUL_APPS) expect(names(o, 'StatefulSet')).toContain(app);
    for (const app of APPS) expect(names(o, 'Service')).toContain(app);
  });

  it.each(['dev', 'prod'])(
    '%s autoscales gateway and room-service and guards every multi-replica app',
    (name) => {
      const o = overlay(name);
      expect(names(o, 'HorizontalPodAutoscaler')).toEqual(['gateway', 'room-service']);
      expect(names(o, 'PodDisruptionBudget')).toEqual(MULTI_REPLICA_APPS);
      expect(names(o, 'ConfigMap')).toEqual([expect.stringMatching(/^live-im-config-[a-z0-9]+$/)]);
    },
  );

  it.each(['dev', 'prod'])(
    '%s closes every port but to its peers: public HTTP to anyone, admin ports to Prometheus only',
    (name) => {
      const o = overlay(name);
      const open = Object.fromEntries(o.ingress.map((row) => [`${row.app} ${row.port}`, row.allowed]));
      expect(open).toEqual({
        'gateway http': ['anyone'],
        'gateway admin': ['monitoring'],
        'rpc-broker admin': ['monitoring'],
        'rpc-broker zmq-frontend': ['gateway', 'room-service', 'rpc-cli'],
        'rpc-broker zmq-backend': ['room-service', 'user-service'],
        'broadcast-node admin': ['monitoring'],
        'broadcast-node zmq-pull': ['broadcast-node', 'room-service'],
        'broadcast-node zmq-pub': ['broadcast-node', 'gateway'],
        'node-manager admin': ['monitoring'],
        'node-manager zmq-router': ['broadcast-node', 'gateway', 'room-service'],
        'node-manager zmq-pub': ['broadcast-node', 'gateway', 'room-service'],
        'user-service admin': ['monitoring'],
        'room-service admin': ['monitoring'],
        ...(name === 'dev' ? { 'redis redis': ['gateway', 'room-service', 'user-service'] } : {}),
      });
      // Every probe goes to the admin port.
      const probePorts = o.httpGets.filter((get) => get.use !== 'prometheus').map((get) => get.port);
      expect(probePorts.length).toBeGreaterThan(0);
      expect(new Set(probePorts)).toEqual(new Set(['admin']));
    },
  );

  it('deploys Redis in dev only', () => {
    expect(names(overlay('dev'), 'StatefulSet')).toContain('redis');
    expect(names(overlay('dev'), 'Service')).toContain('redis');
    expect(names(overlay('prod'), 'StatefulSet')).not.toContain('redis');
    expect(names(overlay('prod'), 'Service')).not.toContain('redis');
  });

  it('never renders a Secret: secrets are created outside git', () => {
    for (const o of report.overlays) expect(names(o, 'Secret')).toEqual([]);
  });

  it('prints one summary line per overlay without --json', async () => {
    const result = await run(process.execPath, ['deploy/k8s/check.mjs']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^dev: \d+ resources \(.*Deployment 3.*StatefulSet 4\): ok$/),
      expect.stringMatching(/^prod: \d+ resources \(.*Deployment 3.*StatefulSet 3\): ok$/),
    ]);
  });
});
