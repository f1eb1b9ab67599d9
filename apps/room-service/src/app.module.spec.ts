import { parseConfig } from '@live-im/config';
import { RoomMessage } from '@live-im/contracts';
import { freePorts, testRedisUrl, uniqueKeyPrefix, waitFor } from '@live-im/testing';
import { makeBusKeySet, ZmqServer } from '@live-im/zmq-transport';
import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import Redis from 'ioredis';
import { user } from './__tests__/room-fixture';
import { AppModule } from './app.module';
import { RoomServiceEnv } from './config';
import { LikesController } from './likes/likes.controller';
import { MessagesController } from './messages/messages.controller';
import { ModerationController } from './moderation/moderation.controller';
import { ReceiptsController } from './receipts/receipts.controller';
import { RoomsController } from './rooms/rooms.controller';

/**
 * The app's wiring with every module real: Redis, the publisher (no broadcast cluster: every
 * message goes unrouted and stays in the log), the RPC client (no broker), likes and the sweeper.
 */

/** The BUS_* env of one member of a fresh key set (keys inline: no files). */
function busEnvOf(member: string): Record<string, string> {
  const set = makeBusKeySet();
  return {
    BUS_PUBLIC_KEY: set.keys[member].publicKey,
    BUS_SECRET_KEY: set.keys[member].secretKey,
    BUS_TRUST: JSON.stringify(set.trust),
  };
}

describe('AppModule wiring (real Redis)', () => {
  const prefix = uniqueKeyPrefix('room-app');
  const redis = new Redis(testRedisUrl());
  let app: INestApplication;

  beforeAll(async () => {
    const [frontend, backend, nmRouter, nmPub] = await freePorts(4);
    const config = parseConfig(RoomServiceEnv, {
      LOG_LEVEL: 'silent',
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: prefix,
      RPC_BROKER_FRONTENDS: `tcp://127.0.0.1:${frontend}`,
      RPC_BROKER_BACKENDS: `tcp://127.0.0.1:${backend}`,
      NM_ROUTER: `tcp://127.0.0.1:${nmRouter}`,
      NM_PUB: `tcp://127.0.0.1:${nmPub}`,
      LIKE_FLUSH_MS: '50',
      // The bus secured, as deployed: a key set of this spec's own.
      ...busEnvOf('room-service'),
    });
    const server = new ZmqServer({
      brokers: config.RPC_BROKER_BACKENDS,
      service: 'room',
      instance: 'test',
      version: 'test',
    });
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot(config, server)],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('serves every room operation and shuts down cleanly, flushing likes first', async () => {
    const rooms = app.get(RoomsController);
    const messages = app.get(MessagesController);
    const likes = app.get(LikesController);
    const moderation = app.get(ModerationController);
    const receipts = app.get(ReceiptsController);
    const roomId = `app-${process.pid}`;
    const alice = user('alice001');

    await rooms.create({ roomId, title: 'wired', ownerId: 'u_host0001' });
    expect(messages.gifts().gifts.length).toBeGreaterThanOrEqual(8);
    await expect(
      messages.chat({ roomId, sender: alice, text: 'hi', clientMsgId: 'c-1' }),
    ).resolves.toMatchObject({ seq: 1 });
    await expect(
      messages.gift({ roomId, sender: alice, giftId: 'crown', count: 1, clientMsgId: 'g-1' }),
    ).resolves.toMatchObject({
      seq: 1,
    });
    const pushed = await messages.push({
      roomId,
      lane: 'important',
      type: 'custom',
      body: { poll: 1 },
      requireAck: true,
      ackTimeoutSec: 30,
    });
    // The business worker is missing: the receipt is still recorded.
    await expect(
      receipts.receipt({ roomId, messageId: pushed.messageId, userId: alice.userId, status: 'delivered' }),
    ).resolves.toEqual({
      recorded: true,
    });
    await likes.like({ roomId, sender: alice, count: 3 });
    await waitFor(async () => (await rooms.stats({ roomId })).likes === 3, {
      timeoutMs: 5000,
      what: 'the like flush',
    });
    await expect(moderation.mute({ roomId, userId: 'u_troll001', durationSec: 60 })).resolves.toMatchObject({
      roomId,
    });

    const stats = await rooms.stats({ roomId });
    expect(stats).toMatchObject({
      room: { roomId, status: 'open' },
      online: { roomId, count: 0, peak: 0, viewersEver: 0 },
      seqs: { normal: 2, important: 2 },
      likes: 3,
    });
    const joined = await messages.join({
      roomId,
      userId: alice.userId,
      resume: { normalSeq: 0, importantSeq: 0 },
    });
    expect(joined.missed?.normal.map((m: RoomMessage) => m.type)).toEqual(['chat', 'like']);

    // Likes taken just before shutdown are written by it.
    await likes.like({ roomId, sender: alice, count: 2 });
    await app.close();
    expect(await redis.get(`${prefix}{${roomId}}:likes`)).toBe('5');
  });
});
