import { ConfigError, parseConfig } from '@live-im/config';
import { NodeEnv, nodeIdOf } from './node-config';

describe('NodeEnv', () => {
  it('defaults to the documented values', () => {
    const config = parseConfig(NodeEnv, { INSTANCE_ID: 'bn-7' });
    expect(config).toMatchObject({
      NODE_KIND: 'broadcast',
      REGION: 'home',
      BCAST_PULL_BIND: 'tcp://127.0.0.1:5570',
      BCAST_PUB_BIND: 'tcp://127.0.0.1:5571',
      NM_ROUTER: 'tcp://127.0.0.1:5580',
      NM_PUB: 'tcp://127.0.0.1:5581',
      MERGE_WINDOW_MS: 20,
      MERGE_MAX_MESSAGES: 64,
      NORMAL_CAP_PER_SEC: 500,
      NORMAL_CAP_PER_SUBSCRIBER: 0,
      REORDER_HOLD_MS: 40,
      HEARTBEAT_MS: 1000,
      ADMIN_PORT: 3021,
      ADMIN_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    });
    expect(nodeIdOf(config)).toBe('bn-7');
    expect(nodeIdOf(parseConfig(NodeEnv, { INSTANCE_ID: 'bn-7', NODE_ID: 'bn-1' }))).toBe('bn-1');
  });

  it('takes a reorder hold from 0 (no hold) to 1000 ms', () => {
    expect(parseConfig(NodeEnv, { INSTANCE_ID: 'bn-7', REORDER_HOLD_MS: '0' }).REORDER_HOLD_MS).toBe(0);
    expect(() => parseConfig(NodeEnv, { INSTANCE_ID: 'bn-7', REORDER_HOLD_MS: '1001' })).toThrow(
      /REORDER_HOLD_MS/,
    );
    expect(() => parseConfig(NodeEnv, { INSTANCE_ID: 'bn-7', REORDER_HOLD_MS: '-1' })).toThrow(
      /REORDER_HOLD_MS/,
    );
  });

  it('has the test hook off by default, takes it outside production, refuses it in production', () => {
    expect(parseConfig(NodeEnv, { INSTANCE_ID: 'bn-7' }).TEST_DROP_IMPORTANT_SEQ).toBeUndefined();
    expect(
      parseConfig(NodeEnv, { INSTANCE_ID: 'bn-7', TEST_DROP_IMPORTANT_SEQ: '5' }).TEST_DROP_IMPORTANT_SEQ,
    ).toBe(5);
    expect(() =>
      parseConfig(NodeEnv, { INSTANCE_ID: 'bn-7', TEST_DROP_IMPORTANT_SEQ: '5', NODE_ENV: 'production' }),
    ).toThrow(/TEST_DROP_IMPORTANT_SEQ/);
  });

  it('names every bad variable in one error', () => {
    expect(() =>
      parseConfig(NodeEnv, { NODE_KIND: 'gateway', MERGE_MAX_MESSAGES: '0', REGION: 'EU' }),
    ).toThrow(
      expect.objectContaining({
        constructor: ConfigError,
        message: expect.stringMatching(/NODE_KIND.*MERGE_MAX_MESSAGES.*REGION|NODE_KIND/),
      }),
    );
  });
});
