import { parseConfig } from '@live-im/config';
import { join } from 'node:path';
import { NodeManagerEnv } from './manager-config';

describe('NodeManagerEnv', () => {
  it('applies the protocol defaults', () => {
    const config = parseConfig(NodeManagerEnv, {});
    expect(config).toMatchObject({
      ADMIN_PORT: 3020,
      NM_ROUTER_BIND: 'tcp://127.0.0.1:5580',
      NM_PUB_BIND: 'tcp://127.0.0.1:5581',
      HEARTBEAT_MS: 1000,
      DEAD_AFTER_MS: 3000,
      ACTIVATE_TIMEOUT_MS: 10_000,
    });
  });

  it('derives DEAD_AFTER_MS from HEARTBEAT_MS unless given', () => {
    expect(parseConfig(NodeManagerEnv, { HEARTBEAT_MS: '200' }).DEAD_AFTER_MS).toBe(600);
    expect(parseConfig(NodeManagerEnv, { HEARTBEAT_MS: '200', DEAD_AFTER_MS: '1000' }).DEAD_AFTER_MS).toBe(
      1000,
    );
  });

  it('names every bad variable', () => {
    expect(() =>
      parseConfig(NodeManagerEnv, { NM_ROUTER_BIND: 'http://x', HEARTBEAT_MS: 'soon', ADMIN_PORT: '-1' }),
    ).toThrow(/NM_ROUTER_BIND.*HEARTBEAT_MS|HEARTBEAT_MS.*NM_ROUTER_BIND/);
  });

  it('refuses a DEAD_AFTER_MS a punctual member could miss', () => {
    expect(() => parseConfig(NodeManagerEnv, { HEARTBEAT_MS: '1000', DEAD_AFTER_MS: '1000' })).toThrow(
      /DEAD_AFTER_MS: must be greater than HEARTBEAT_MS/,
    );
  });

  it('defaults DASHBOARD_DIST_DIR to dist/apps/cluster-dashboard under the working directory, made absolute', () => {
    expect(parseConfig(NodeManagerEnv, {}).DASHBOARD_DIST_DIR).toBe(
      join(process.cwd(), 'dist/apps/cluster-dashboard'),
    );
    expect(parseConfig(NodeManagerEnv, { DASHBOARD_DIST_DIR: 'some/where' }).DASHBOARD_DIST_DIR).toBe(
      join(process.cwd(), 'some/where'),
    );
    expect(() => parseConfig(NodeManagerEnv, { DASHBOARD_DIST_DIR: '  ' })).toThrow(/DASHBOARD_DIST_DIR/);
  });
});
