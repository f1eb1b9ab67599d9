import { ConfigError, parseConfig } from '@live-im/config';
import { BrokerEnv } from './broker-config';

describe('BrokerEnv', () => {
  it('defaults to the documented values', () => {
    expect(parseConfig(BrokerEnv, {})).toMatchObject({
      RPC_FRONTEND_BIND: 'tcp://127.0.0.1:5555',
      RPC_BACKEND_BIND: 'tcp://127.0.0.1:5556',
      ADMIN_HOST: '127.0.0.1',
      ADMIN_PORT: 3010,
      HEARTBEAT_MS: 1000,
      SERVICE_GRACE_MS: 1000,
      MAX_QUEUE: 10_000,
      MAX_QUEUED_BYTES: 67_108_864,
      MAX_BODY_BYTES: 1_048_576,
      LOG_LEVEL: 'info',
      BROKER_ID: expect.stringMatching(/-\d+$/),
    });
  });

  it('names every bad variable in one error', () => {
    expect(() => parseConfig(BrokerEnv, { RPC_FRONTEND_BIND: 'localhost:5555', MAX_QUEUE: '0' })).toThrow(
      expect.objectContaining({
        constructor: ConfigError,
        message: expect.stringMatching(/RPC_FRONTEND_BIND.*MAX_QUEUE|MAX_QUEUE.*RPC_FRONTEND_BIND/),
      }),
    );
  });

  it('caps MAX_BODY_BYTES so a forwarded request fits the frame limit of a worker', () => {
    expect(parseConfig(BrokerEnv, { MAX_BODY_BYTES: String(32 * 1024 * 1024) }).MAX_BODY_BYTES).toBe(
      33_554_432,
    );
    expect(() => parseConfig(BrokerEnv, { MAX_BODY_BYTES: String(32 * 1024 * 1024 + 1) })).toThrow(
      /MAX_BODY_BYTES/,
    );
  });
});
