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
    from: /port: admin\n(\s+)periodSeconds: 10/,
    to: 'port: metrics\n$1periodSeconds: 10',
    rule: 'probe-port',
    message: /livenessProbe uses port metrics/,
  },
  {
    what: 'a gateway probe on its public port',
    file: 'base/gateway.yaml',
    from: /path: \/health\/ready\n(\s+)port: admin/,
    to: 'path: /health/ready\n$1port: http',
    rule: 'probe-port',
    message: /readinessProbe must use port admin/,
  },
  {
    what: 'a gateway scraped on its public port',
    file: 'base/gateway.yaml',
    from: 'prometheus.io/port: "3050"',
    to: 'prometheus.io/port: "3000"',
    rule: 'scrape',
    message: /prometheus.io\/port 3000 is not the admin port/,
  },
  {
    what: 'no default deny',
    file: 'base/network-policies.yaml',
    from: /^apiVersion: networking.k8s.io\/v1\nkind: NetworkPolicy\nmetadata:\n {2}name: default-deny-ingress\n[\s\S]*?---\n/m,
    to: '',
    rule: 'netpol-default-deny',
    message: /no policy closes every pod/,
  },
  {
    what: 'the broker caller port opened to a worker that never calls',
    file: 'base/network-policies.yaml',
    from: 'values: [gateway, room-service, rpc-cli]',
    to: 'values: [gateway, room-service, rpc-cli, user-service]',
    rule: 'netpol-port',
    message:
      /port zmq-frontend is open to \[gateway, room-service, rpc-cli, user-service\], must be open to \[gateway, room-service, rpc-cli\] only/,
  },
  {
    what: 'an admin port open to every pod of the namespace',
    file: 'base/network-policies.yaml',
    from: /(name: node-manager\n[\s\S]*?)- from:\n\s+- namespaceSelector:[\s\S]*?values: \[prometheus\]\n(\s+)ports:/,
    to: '$1- from:\n        - podSelector: {}\n$2ports:',
    rule: 'netpol-port',
    message: /port admin is open to \[every pod of the namespace\], must be open to \[monitoring\] only/,
  },
  {
    what: 'a member cut off from the node manager',
    file: 'base/network-policies.yaml',
    from: 'values: [broadcast-node, gateway, room-service]',
    to: 'values: [broadcast-node, gateway]',
    rule: 'netpol-need',
    message:
      /NM_ROUTER names tcp:\/\/node-manager-0.node-manager:5580, but node-manager's port zmq-router is closed to room-service/,
  },
  {
    what: 'a policy for pods that do not exist',
    file: 'base/network-policies.yaml',
    from: 'name: user-service\nspec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: user-service',
    to: 'name: user-service\nspec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: users',
    rule: 'netpol-selector',
    message: /selects no pod/,
  },
  {
    what: 'a peer no pod is',
    file: 'base/network-policies.yaml',
    from: 'values: [user-service, room-service]',
    to: 'values: [user-servce, room-service]',
    rule: 'netpol-peer',
    message: /admits user-servce, which no pod of the render is/,
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
