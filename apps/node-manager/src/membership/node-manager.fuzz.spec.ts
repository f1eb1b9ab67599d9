import { BCAST_VERSION, bcastHeader, BroadcastCommand } from '@live-im/broadcast';
import { Garbage, prng } from '@live-im/testing';
import type { NodeManager } from './node-manager';
import { ScriptedMember, startManager } from './__tests__/scripted-member';

const GARBAGE_MESSAGES = 5_000;

/** Messages that are malformed for certain, one generator per way of being wrong. */
function garbage(random: () => number): Array<() => Buffer[]> {
  const g = new Garbage(random);
  const int = (n: number) => g.int(n);
  const bytes = (n: number) => g.bytes(n);
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  const badHeader = () => g.notAHeader(BCAST_VERSION);
  return [
    () => [badHeader(), bytes(int(40))],
    () => [bcastHeader(BroadcastCommand.REGISTER)],
    () => [bcastHeader(BroadcastCommand.HEARTBEAT), json({ id: 'x' }), bytes(3)],
    () => [Buffer.from([1, 0x31 + 0x20 + int(100)]), json({})],
    () => [bcastHeader(BroadcastCommand.REGISTERED), json({ topology: {} })],
    () => [bcastHeader(BroadcastCommand.PUBLISH), bytes(int(30))],
    () => [bcastHeader(BroadcastCommand.REGISTER), bytes(1 + int(60))],
    () => [bcastHeader(BroadcastCommand.REGISTER), json({ id: 'bn-x', kind: 'broadcast', region: 'home' })],
    () => [
      bcastHeader(BroadcastCommand.REGISTER),
      json({ id: '../etc', kind: 'subscriber', region: 'home' }),
    ],
    () => [bcastHeader(BroadcastCommand.REGISTER), json({ id: 'gw', kind: 'gateway', region: 'home' })],
    () => [bcastHeader(BroadcastCommand.REGISTER), json({ id: 'gw', kind: 'subscriber', region: 'Home!' })],
    () => [bcastHeader(BroadcastCommand.HEARTBEAT), json({ id: 'gw', load: { msgsIn: -1 } })],
    () => [bcastHeader(BroadcastCommand.HEARTBEAT), json({ id: 'gw', connected: 'bn-1', extra: 1 })],
    () => [bcastHeader(BroadcastCommand.HEARTBEAT), json([1, 2, 3])],
    () => [bcastHeader(BroadcastCommand.DRAIN), json(null)],
    () => [bcastHeader(BroadcastCommand.GET_TOPOLOGY), json({ please: true })],
    () => [bcastHeader(BroadcastCommand.GET_TOPOLOGY), Buffer.from('{"__proto__":{"polluted":1}}')],
  ];
}

describe('NodeManager under garbage', () => {
  let manager: NodeManager;

  beforeEach(async () => {
    manager = await startManager({ heartbeatMs: 100, rebuildWindowMs: 0 });
  });

  afterEach(() => manager.close());

  it(`counts and drops ${GARBAGE_MESSAGES} malformed messages and keeps serving`, async () => {
    const attacker = new ScriptedMember(manager.routerEndpoint!);
    const honest = new ScriptedMember(manager.routerEndpoint!);
    try {
      const random = prng(20_260_517);
      const generators = garbage(random);
      for (let i = 0; i < GARBAGE_MESSAGES; i += 1) {
        await attacker.sendRaw(generators[Math.floor(random() * generators.length)]());
      }
      // The ROUTER reads in order: once the attacker's stranger heartbeat is answered, all garbage before it was read.
      expect(
        await attacker.ask(BroadcastCommand.HEARTBEAT, { id: 'late' }, BroadcastCommand.UNKNOWN),
      ).toEqual({});

      const malformed = Object.values(manager.counters.malformed).reduce((a, b) => a + b, 0);
      expect(malformed).toBe(GARBAGE_MESSAGES);
      for (const count of Object.values(manager.counters.malformed)) expect(count).toBeGreaterThan(0);
      expect(manager.membership.registry.size).toBe(0);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();

      const topology = await honest.register({ id: 'gw-1', kind: 'subscriber', region: 'home' });
      expect(topology.nodes).toEqual([]);
      expect(manager.isRunning).toBe(true);
    } finally {
      attacker.close();
      honest.close();
    }
  });
});
