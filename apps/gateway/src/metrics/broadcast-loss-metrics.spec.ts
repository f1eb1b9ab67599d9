import type { RoomLoss, RoomSubscriberStats } from '@live-im/broadcast';
import { register } from 'prom-client';
import { LOSS_GAUGE_ROOMS, trackBroadcastLosses } from './broadcast-loss-metrics';

describe('trackBroadcastLosses', () => {
  const stats: RoomSubscriberStats = {
    delivered: 0,
    gaps: 0,
    lost: { normal: 0, important: 0 },
    late: { normal: 0, important: 0 },
    duplicates: 0,
    malformed: 0,
    unjoined: 0,
    states: 0,
    beaconGaps: 0,
    channelLate: 0,
    rooms: 0,
    connected: 0,
    channels: 0,
    channelMoves: 0,
  };
  let rooms: RoomLoss[] = [];
  trackBroadcastLosses({ stats, roomLosses: (limit) => rooms.slice(0, limit) });

  async function scrape(name: string): Promise<string[]> {
    const text = await register.getSingleMetricAsString(name);
    return text.split('\n').filter((line) => line.startsWith(name));
  }

  it('serves the lost and late counts per lane, and the worst rooms per lane, dropping rooms that leave the top', async () => {
    stats.lost.normal = 7;
    stats.lost.important = 2;
    stats.late.normal = 1;
    rooms = [{ roomId: 'r1', normal: 5, important: 2 }];
    expect(await scrape('gateway_broadcast_messages_lost_total')).toEqual([
      'gateway_broadcast_messages_lost_total{lane="normal"} 7',
      'gateway_broadcast_messages_lost_total{lane="important"} 2',
    ]);
    expect(await scrape('gateway_broadcast_messages_late_total')).toContain(
      'gateway_broadcast_messages_late_total{lane="normal"} 1',
    );
    stats.channelLate = 3;
    expect(await scrape('gateway_user_channel_late_total')).toEqual(['gateway_user_channel_late_total 3']);
    expect(await scrape('gateway_broadcast_room_messages_lost')).toEqual([
      'gateway_broadcast_room_messages_lost{room="r1",lane="normal"} 5',
      'gateway_broadcast_room_messages_lost{room="r1",lane="important"} 2',
    ]);

    rooms = Array.from({ length: LOSS_GAUGE_ROOMS + 5 }, (_, i) => ({
      roomId: `big${i}`,
      normal: 100 - i,
      important: 0,
    }));
    const lines = await scrape('gateway_broadcast_room_messages_lost');
    expect(lines).toHaveLength(2 * LOSS_GAUGE_ROOMS);
    expect(lines.some((line) => line.includes('room="r1"'))).toBe(false);
  });
});
