import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '@live-im/testing';
import { K8S_DIR, runChecker } from './support/deploy-check';

/** One deliberate mistake: which file of a copy of deploy/k8s to edit, how, and the rule that must catch it. */
interface Breakage {
  what: string;
  file: string;
  from: string | RegExp;
  to: string;
  rule: string;
  message: RegExp;
}

const BREAKAGES: Breakage[] = [
  {
    what: 'a probe on a path no app serves',
    file: 'base/user-service.yaml',
    from: 'path: /health/ready',
    to: 'path: /healthz',
    rule: 'probe-path',
    message: /readinessProbe GETs \/healthz/,
  },
  {
    what: 'a field Kubernetes does not know',
    file: 'base/node-manager.yaml',
    from: '      terminationGracePeriodSeconds: 40\n',
    to: '      terminationGracePeriodSeconds: 40\n      restartPolicyy: Always\n',
    rule: 'unknown-field',
    message: /\/spec\/template\/spec\/restartPolicyy/,
  },
  {
    what: 'replicas that are not a number',
    file: 'base/rpc-broker.yaml',
    from: '  replicas: 2\n',
    to: '  replicas: "two"\n',
    rule: 'schema',
    message: /\/spec\/replicas must be integer/,
  },
  {
    what: 'a broker list that misses a broker',
    file: 'base/kustomization.yaml',
    from: ',tcp://rpc-broker-1.rpc-broker:5556',
    to: '',
    rule: 'endpoint',
    message: /RPC_BROKER_BACKENDS misses rpc-broker-1/,
  },
  {
    what: 'a Secret nobody creates',
    file: 'base/gateway.yaml',
    from: 'name: live-im-secrets',
    to: 'name: live-im-secret',
    rule: 'reference',
    message: /Secret live-im-secret is neither rendered nor declared/,
  },
  {
    what: 'a probe on a port the container does not declare',
    file: 'base/broadcast-node.yaml',
    from: /port: http\n(\s+)periodSeconds: 10/,
    to: 'port: metrics\n$1periodSeconds: 10',
    rule: 'probe-port',
    message: /livenessProbe uses port metrics/,
  },
  {
    what: 'a Service that selects no pods',
    file: 'base/room-service.yaml',
    from: 'spec:\n  selector:\n    app.kubernetes.io/name: room-service\n',
    to: 'spec:\n  selector:\n    app.kubernetes.io/name: rooms\n',
    rule: 'service-selector',
    message: /matches no workload's pods/,
  },
];

describe('deploy/k8s/check.mjs on a broken copy of the dev overlay', () => {
  const scratch = join(
    WORKSPACE_ROOT,
    'tmp',
    `deploy-check-${process.pid}-${randomBytes(4).toString('hex')}`,
  );

  beforeAll(() => mkdirSync(scratch, { recursive: true }));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it.each(BREAKAGES)('rejects $what ($rule)', async (breakage) => {
    const copy = join(scratch, breakage.rule);
    cpSync(K8S_DIR, copy, { recursive: true });
    const file = join(copy, breakage.file);
    const original = readFileSync(file, 'utf8');
    const broken = original.replace(breakage.from, breakage.to);
    expect(broken).not.toEqual(original);
    writeFileSync(file, broken);

    const { code, report } = await runChecker([join(copy, 'overlays/dev')]);

    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.overlays[0].problems).toContainEqual(
      expect.objectContaining({ rule: breakage.rule, message: expect.stringMatching(breakage.message) }),
    );
  });

  it('reports an overlay kustomize cannot build', async () => {
    const copy = join(scratch, 'render');
    cpSync(K8S_DIR, copy, { recursive: true });
    rmSync(join(copy, 'base/gateway.yaml'));

    const { code, report } = await runChecker([join(copy, 'overlays/dev')]);

    expect(code).toBe(1);
    expect(report.overlays[0].problems).toEqual([
      expect.objectContaining({ rule: 'render', message: expect.stringMatching(/kustomize build failed/) }),
    ]);
  });
});
