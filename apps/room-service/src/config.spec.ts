import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '@live-im/config';
import { RoomServiceEnv } from './config';

describe('RoomServiceEnv', () => {
  const dir = mkdtempSync(join(tmpdir(), 'room-service-config-'));
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const problem = (env: NodeJS.ProcessEnv): string => {
    try {
      parseConfig(RoomServiceEnv, env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('expected a ConfigError');
  };

  it('has working defaults, the committed gift catalogue among them', () => {
    const config = parseConfig(RoomServiceEnv, {});
    expect(config).toMatchObject({
      NM_ROUTER: 'tcp://127.0.0.1:5580',
      NM_PUB: 'tcp://127.0.0.1:5581',
      REGION: 'home',
      RPC_BROKER_FRONTENDS: ['tcp://127.0.0.1:5555'],
      NORMAL_LOG_MAX: 2000,
      IMPORTANT_LOG_MAX: 10_000,
      DEDUPE_TTL_SEC: 600,
      LIKE_FLUSH_MS: 1000,
    });
    expect(config.gifts.map((g) => g.giftId)).toEqual(
      expect.arrayContaining([
        'rose',
        'heart',
        'applause',
        'lollipop',
        'crown',
        'sports-car',
        'rocket',
        'castle',
      ]),
    );
  });

  it('reads a catalogue file', () => {
    const path = file(
      'gifts.json',
      JSON.stringify([{ giftId: 'star', name: 'Star', price: 3, animation: 'burst' }]),
    );
    expect(parseConfig(RoomServiceEnv, { GIFT_CATALOGUE_FILE: path }).gifts).toEqual([
      { giftId: 'star', name: 'Star', price: 3, animation: 'burst' },
    ]);
  });

  it('names a bad catalogue file in one line', () => {
    const missing = problem({ GIFT_CATALOGUE_FILE: join(dir, 'absent.json') });
    expect(missing).toMatch(/^invalid configuration: GIFT_CATALOGUE_FILE: cannot read/);
    expect(problem({ GIFT_CATALOGUE_FILE: file('broken.json', '[{') })).toContain('GIFT_CATALOGUE_FILE: ');
    const invalid = problem({
      GIFT_CATALOGUE_FILE: file('bad.json', JSON.stringify([{ giftId: 'Bad Id', name: '', price: -1 }])),
    });
    expect(invalid).toContain('GIFT_CATALOGUE_FILE');
    expect(invalid).toContain('giftId');
    expect(invalid).not.toContain('\n');
    const twice = file(
      'twice.json',
      JSON.stringify([1, 2].map(() => ({ giftId: 'rose', name: 'Rose', price: 1, animation: 'float' }))),
    );
    expect(problem({ GIFT_CATALOGUE_FILE: twice })).toContain('giftId rose appears twice');
  });

  it('names the broadcast publisher after the instance, within the member id limit', () => {
    expect(parseConfig(RoomServiceEnv, { INSTANCE_ID: 'room-7' }).publisherId).toBe('room-service-room-7');
    expect(problem({ INSTANCE_ID: 'x'.repeat(60) })).toContain('INSTANCE_ID: at most 51 characters');
  });

  it('refuses a bad region or endpoint', () => {
    const message = problem({ REGION: 'Home Base', NM_ROUTER: 'http://x' });
    expect(message).toContain('REGION');
    expect(message).toContain('NM_ROUTER');
  });
});
