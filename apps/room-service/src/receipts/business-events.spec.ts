import { freePorts } from '@live-im/testing';
import { ZmqClient } from '@live-im/zmq-transport';
import { register } from 'prom-client';
import { RoomMetrics } from '../metrics/room-metrics';
import { BrokerBusinessEvents, IN_FLIGHT_LIMIT } from './business-events';

async function sample(name: string, labels: string): Promise<number> {
  const text = await register.getSingleMetricAsString(name);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('BrokerBusinessEvents', () => {
  it('bounds the events waiting for an answer: past the limit one is lost at once and counted', async () => {
    // A broker endpoint nobody serves: the calls wait (for a broker, then their deadline).
    const [port] = await freePorts(1);
    const client = new ZmqClient({ brokers: [`tcp://127.0.0.1:${port}`] });
    const events = new BrokerBusinessEvents(client, new RoomMetrics(), { maxInFlight: 2 });
    try {
      const receipt = {
        messageId: 'm_1',
        roomId: 'room-1',
        userId: 'u_abcdefgh',
        status: 'expired' as const,
        ts: Date.now(),
        senderId: null,
      };
      for (let i = 0; i < 3; i += 1) events.receipts([receipt]);
      expect(events.pending).toBe(2);
      expect(
        await sample(
          'room_service_business_events_lost_total',
          `event="business.receipts",reason="${IN_FLIGHT_LIMIT}"`,
        ),
      ).toBe(1);
      expect(
        await sample('room_service_business_events_total', 'event="business.receipts",outcome="lost"'),
      ).toBe(1);
    } finally {
      await client.close();
    }
    // Closing the client fails the two waiting calls: lost too, and no longer pending.
    await new Promise((resolve) => setImmediate(resolve));
    expect(events.pending).toBe(0);
    expect(
      await sample('room_service_business_events_total', 'event="business.receipts",outcome="lost"'),
    ).toBe(3);
  });
});
