import { z } from 'zod';
import { BaseAppEnv, envEndpointList, envInt, envPort } from './env-schemas';
import { ConfigError, parseConfig } from './load-config';

const Schema = BaseAppEnv.extend({
  ADMIN_PORT: envPort(3010),
  CAPACITY: envInt(64, { min: 1, max: 10000 }),
  BROKERS: envEndpointList('tcp://127.0.0.1:5556'),
});

describe('parseConfig', () => {
  it('applies defaults and coerces numbers and lists', () => {
    const config = parseConfig(Schema, { CAPACITY: '8', BROKERS: 'tcp://a:1, ipc:///tmp/x' });
    expect(config.ADMIN_PORT).toBe(3010);
    expect(config.CAPACITY).toBe(8);
    expect(config.BROKERS).toEqual(['tcp://a:1', 'ipc:///tmp/x']);
    expect(config.LOG_LEVEL).toBe('info');
  });

  it('names every bad variable in one line', () => {
    let error: unknown;
    try {
      parseConfig(Schema, { ADMIN_PORT: '70000', BROKERS: 'http://nope', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).not.toContain('\n');
    expect(message).toContain('ADMIN_PORT');
    expect(message).toContain('BROKERS');
    expect(message).toContain('LOG_LEVEL');
  });

  it('rejects a non-integer', () => {
    expect(() => parseConfig(z.object({ N: envInt(1) }), { N: '1.5' })).toThrow(/N:/);
  });
});
