import { join } from 'node:path';
import { WORKSPACE_ROOT } from '@live-im/testing';
import { run } from './support/deploy-check';

const ROLLING_UPDATE = join(WORKSPACE_ROOT, 'deploy/scripts/k8s-rolling-update.sh');
const SCALE = join(WORKSPACE_ROOT, 'deploy/scripts/k8s-scale.sh');

const lines = (text: string) => text.trim().split('\n');

describe('deploy/scripts/k8s-rolling-update.sh --dry-run', () => {
  it('restarts every app in order, waiting for each rollout', async () => {
    const result = await run('bash', [
      ROLLING_UPDATE,
      '--dry-run',
      '--namespace',
      'live-im',
      '--context',
      'prod-eu',
    ]);
    expect(result.code).toBe(0);
    const flags = 'kubectl --namespace live-im --context prod-eu';
    const expected = [
      'statefulset/rpc-broker',
      'deployment/user-service',
      'deployment/room-service',
      'statefulset/node-manager',
      'statefulset/broadcast-node',
      'deployment/gateway',
    ].flatMap((w) => [`${flags} rollout restart ${w}`, `${flags} rollout status ${w} --timeout=10m`]);
    expect(lines(result.stdout)).toEqual(expected);
  });

  it('restarts only the apps named, still in order, with the timeout given', async () => {
    const result = await run('bash', [
      ROLLING_UPDATE,
      '--dry-run',
      '--timeout',
      '300s',
      'gateway',
      'rpc-broker',
    ]);
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([
      'kubectl rollout restart statefulset/rpc-broker',
      'kubectl rollout status statefulset/rpc-broker --timeout=300s',
      'kubectl rollout restart deployment/gateway',
      'kubectl rollout status deployment/gateway --timeout=300s',
    ]);
  });

  it('refuses an unknown app and an unknown option', async () => {
    const app = await run('bash', [ROLLING_UPDATE, '--dry-run', 'redis']);
    expect(app.code).toBe(64);
    expect(app.stderr).toMatch(/unknown app "redis"/);
    expect(app.stdout).toBe('');
    const option = await run('bash', [ROLLING_UPDATE, '--dry-run', '--force']);
    expect(option.code).toBe(64);
    expect(option.stderr).toMatch(/unknown option --force/);
  });

  it('prints its usage with --help', async () => {
    const result = await run('bash', [ROLLING_UPDATE, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^usage: deploy\/scripts\/k8s-rolling-update.sh/);
  });
});

describe('deploy/scripts/k8s-scale.sh --dry-run', () => {
  it('scales a worker and waits for its rollout', async () => {
    const result = await run('bash', [SCALE, '--dry-run', '-n', 'live-im', 'user-service', '4']);
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([
      'kubectl --namespace live-im scale deployment/user-service --replicas=4',
      'kubectl --namespace live-im rollout status deployment/user-service --timeout=5m',
    ]);
  });

  it('scales the broadcast nodes StatefulSet', async () => {
    const result = await run('bash', [SCALE, '--dry-run', 'broadcast-node', '3', '--timeout', '2m']);
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([
      'kubectl scale statefulset/broadcast-node --replicas=3',
      'kubectl rollout status statefulset/broadcast-node --timeout=2m',
    ]);
  });

  it('raises the autoscaler floor of the gateway instead of fighting it', async () => {
    const result = await run('bash', [
      SCALE,
      '--dry-run',
      '--context',
      'prod-eu',
      'gateway',
      '6',
      '--max',
      '24',
    ]);
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([
      `kubectl --context prod-eu patch horizontalpodautoscaler/gateway --type=merge --patch '{"spec":{"minReplicas":6,"maxReplicas":24}}'`,
      `kubectl --context prod-eu get deployment/gateway '--output=jsonpath={.spec.replicas}'`,
      'kubectl --context prod-eu rollout status deployment/gateway --timeout=5m',
    ]);
  });

  it.each([
    [['redis', '2'], /unknown app "redis"/],
    [['rpc-broker', '3'], /rpc-broker is not scaled here/],
    [['node-manager', '2'], /node-manager runs exactly one instance/],
    [['gateway', '0'], /REPLICAS must be an integer from 1 to 100/],
    [['gateway', 'two'], /REPLICAS must be an integer/],
    [['user-service', '3', '--max', '5'], /--max applies to gateway and room-service only/],
    [['gateway'], /expected APP and REPLICAS/],
  ])('refuses %j', async (args, message) => {
    const result = await run('bash', [SCALE, '--dry-run', ...args]);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });
});
