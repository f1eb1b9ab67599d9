import { BroadcastCommand } from '@live-im/broadcast';
import { ACK, MembershipHarness, UNKNOWN } from './__tests__/membership-harness';

const body = (reply: { body: Buffer } | null): unknown => (reply ? JSON.parse(reply.body.toString()) : null);

describe('Membership: joining → active', () => {
  it('activates a joining node only once every live subscriber lists it', () => {
    const h = new MembershipHarness();
    h.register('gw-1', 'subscriber');
    h.register('gw-2', 'subscriber');
    h.register('pub-1', 'publisher');
    const registered = body(h.register('bn-1', 'broadcast')) as { topology: { nodes: unknown[] } };
    expect(registered.topology.nodes).toEqual([expect.objectContaining({ id: 'bn-1', state: 'joining' })]);

    h.beat('gw-1', { connected: ['bn-1'] });
    expect(h.stateOf('bn-1')).toBe('joining');
    h.beat('gw-2', { connected: [] });
    expect(h.stateOf('bn-1')).toBe('joining');
    const version = h.membership.book.version;
    const ack = h.beat('gw-2', { connected: ['bn-1'] });

    expect(h.listed()).toEqual({ 'bn-1': 'active' });
    expect(h.membership.book.version).toBe(version + 1);
    // The ack of the heartbeat that completed the set already carries the new version.
    expect(body(ack)).toEqual({ version: version + 1 });
    expect(h.counters.activatedConnected).toBe(1);
  });

  it('activates at once when there is no subscriber or relay at all', () => {
    const h = new MembershipHarness();
    h.register('pub-1', 'publisher');
    h.register('bn-1', 'broadcast');
    expect(h.listed()).toEqual({ 'bn-1': 'active' });
  });

  it('waits for relays, not for the subscribers behind them; a relay waits for its region', () => {
    const h = new MembershipHarness();
    h.register('gw-home', 'subscriber', { region: 'home' });
    h.register('gw-eu', 'subscriber', { region: 'eu' });
    h.register('relay-eu', 'relay', { region: 'eu' });
    expect(h.stateOf('relay-eu')).toBe('joining');
    h.beat('gw-home', { connected: ['relay-eu'] });
    expect(h.stateOf('relay-eu')).toBe('joining');
    h.beat('gw-eu', { connected: ['relay-eu'] });
    expect(h.stateOf('relay-eu')).toBe('active');

    h.register('bn-1', 'broadcast');
    h.beat('gw-home', { connected: ['bn-1'] });
    expect(h.stateOf('bn-1')).toBe('joining');
    h.beat('relay-eu', { connected: ['bn-1'] });
    expect(h.stateOf('bn-1')).toBe('active');
  });

  it('activates by timeout when a subscriber never reports the node', () => {
    const h = new MembershipHarness({ activateTimeoutMs: 10_000 });
    h.register('gw-1', 'subscriber');
    h.register('bn-1', 'broadcast');
    h.pass(9_000, ['gw-1', 'bn-1']);
    expect(h.stateOf('bn-1')).toBe('joining');
    h.pass(1_000, ['gw-1', 'bn-1']);
    expect(h.stateOf('bn-1')).toBe('active');
    expect(h.counters.activatedTimeout).toBe(1);
    expect(h.counters.activatedConnected).toBe(0);
  });

  it('re-checks joining nodes when a subscriber that never listed them dies', () => {
    const h = new MembershipHarness();
    h.register('gw-1', 'subscriber');
    h.register('gw-2', 'subscriber');
    h.register('bn-1', 'broadcast');
    h.beat('gw-1', { connected: ['bn-1'] });
    h.pass(4_000, ['gw-1', 'bn-1']);
    expect(h.membership.registry.get('gw-2')).toBeUndefined();
    expect(h.stateOf('bn-1')).toBe('active');
    expect(h.counters.activatedConnected).toBe(1);
  });
});

describe('Membership: liveness', () => {
  it('judges every member in every state dead after DEAD_AFTER_MS of silence', () => {
    const h = new MembershipHarness({ heartbeatMs: 1000, deadAfterMs: 3000 });
    h.register('keeper', 'subscriber');
    h.register('bn-active', 'broadcast');
    h.beat('keeper', { connected: ['bn-active'] });
    h.register('bn-joining', 'broadcast');
    h.register('bn-draining', 'broadcast');
    h.beat('keeper', { connected: ['bn-active', 'bn-draining'] });
    h.drain('bn-draining');
    h.register('relay-home', 'relay');
    h.register('gw-silent', 'subscriber');
    h.register('pub-silent', 'publisher');
    h.register('z-keeper', 'publisher');
    expect(h.listed()).toEqual({
      'bn-active': 'active',
      'bn-draining': 'draining',
      'bn-joining': 'joining',
      'relay-home': 'joining',
    });

    h.pass(3_000, ['keeper', 'z-keeper']);
    expect(h.counters.deaths).toBe(0);
    h.pass(1_000, ['keeper', 'z-keeper']);

    expect(h.listed()).toEqual({
      'bn-active': 'dead',
      'bn-draining': 'dead',
      'bn-joining': 'dead',
      'relay-home': 'dead',
    });
    expect(h.membership.registry.get('gw-silent')).toBeUndefined();
    expect(h.membership.registry.get('pub-silent')).toBeUndefined();
    expect(h.counters.deaths).toBe(6);
    expect(h.stateOf('keeper')).toBe('active');
    expect(h.stateOf('z-keeper')).toBe('active');
  });

  it('announces dead nodes in one version, then removes them', () => {
    const h = new MembershipHarness();
    h.register('bn-1', 'broadcast');
    h.register('bn-2', 'broadcast');
    h.pass(4_000, ['bn-1']);
    const announced = h.published.at(-1)!;
    expect(announced.nodes.map((n) => [n.id, n.state])).toEqual([
      ['bn-1', 'active'],
      ['bn-2', 'dead'],
    ]);
    h.pass(1_000, ['bn-1']);
    const after = h.published.at(-1)!;
    expect(after.version).toBe(announced.version + 1);
    expect(after.nodes.map((n) => n.id)).toEqual(['bn-1']);
    expect(body(h.beat('bn-2'))).toEqual({});
  });

  it('tells a member judged dead that it is unknown, and lets it join again', () => {
    const h = new MembershipHarness();
    h.register('gw-1', 'subscriber');
    h.register('bn-1', 'broadcast');
    h.beat('gw-1', { connected: ['bn-1'] });
    h.pass(4_000, ['gw-1']);
    expect(h.stateOf('bn-1')).toBe('dead');
    expect(h.beat('bn-1').command).toBe(UNKNOWN);
    // It still believes it is active; it was judged dead, so it joins again.
    h.register('bn-1', 'broadcast', { state: 'active' });
    expect(h.stateOf('bn-1')).toBe('joining');
  });

  it('judges nobody on a sweep that itself comes more than two intervals late', () => {
    const h = new MembershipHarness({ heartbeatMs: 1000, deadAfterMs: 3000 });
    h.register('gw-1', 'subscriber');
    h.register('bn-1', 'broadcast');
    h.beat('gw-1', { connected: ['bn-1'] });
    // The manager was stalled for 5 s: its members' heartbeats wait unread behind this sweep.
    h.clock.advance(5_000);
    h.membership.sweep(h.clock.now());
    expect(h.counters.lateSweeps).toBe(1);
    expect(h.counters.deaths).toBe(0);
    expect(h.stateOf('bn-1')).toBe('active');

    h.beat('bn-1');
    h.pass(1_000);
    // gw-1 really was silent: the next sweep on time judges it.
    expect(h.membership.registry.get('gw-1')).toBeUndefined();
    expect(h.stateOf('bn-1')).toBe('active');
  });
});

describe('Membership: messages', () => {
  it('drains a node at its request and keeps it alive while it heartbeats', () => {
    const h = new MembershipHarness();
    h.register('bn-1', 'broadcast');
    const version = h.membership.book.version;
    expect(h.drain('bn-1')).toBeNull();
    expect(h.listed()).toEqual({ 'bn-1': 'draining' });
    expect(h.membership.book.version).toBe(version + 1);
    h.pass(10_000, ['bn-1']);
    expect(h.stateOf('bn-1')).toBe('draining');
    expect(h.counters.drains).toBe(1);
  });

  it('answers UNKNOWN to an unknown id and to a known id over another socket', () => {
    const h = new MembershipHarness();
    expect(h.beat('ghost').command).toBe(UNKNOWN);
    expect(h.drain('ghost')!.command).toBe(UNKNOWN);
    h.register('gw-1', 'subscriber');
    expect(h.beat('gw-1').command).toBe(ACK);
    h.newSocket('gw-1');
    expect(h.beat('gw-1').command).toBe(UNKNOWN);
    expect(h.counters.unknownReplies).toBe(3);
  });

  it('keeps the topology version when a registration changes nothing listed', () => {
    const h = new MembershipHarness();
    h.register('bn-1', 'broadcast');
    const version = h.membership.book.version;
    h.register('gw-1', 'subscriber');
    h.reregister('bn-1');
    expect(h.membership.book.version).toBe(version);
    expect(h.published).toHaveLength(1);
  });

  it('replaces the entry of a known id registering from a new socket', () => {
    const h = new MembershipHarness();
    h.register('gw-1', 'subscriber');
    h.register('bn-1', 'broadcast');
    h.beat('gw-1', { connected: ['bn-1'] });
    expect(h.stateOf('bn-1')).toBe('active');
    const oldSocket = h.socketOf('bn-1');

    // The same process on a new connection says its state: it stays active.
    h.newSocket('bn-1');
    h.reregister('bn-1', 'active');
    expect(h.stateOf('bn-1')).toBe('active');
    expect(h.membership.heartbeat(oldSocket, { id: 'bn-1' }, h.clock.now()).command).toBe(UNKNOWN);
    expect(h.counters.replacements).toBe(1);

    // A restarted process says nothing: it joins again, and its subscribers still list it.
    h.newSocket('bn-1');
    h.reregister('bn-1');
    expect(h.stateOf('bn-1')).toBe('joining');
    h.beat('gw-1', { connected: [] });
    h.beat('gw-1', { connected: ['bn-1'] });
    expect(h.stateOf('bn-1')).toBe('active');
  });
});

describe('Membership: restart', () => {
  it('rebuilds the same topology from re-registrations that carry their state', () => {
    const before = new MembershipHarness();
    before.register('gw-home', 'subscriber');
    before.register('gw-eu', 'subscriber', { region: 'eu' });
    before.register('pub-1', 'publisher');
    before.register('relay-eu', 'relay', { region: 'eu' });
    before.beat('gw-eu', { connected: ['relay-eu'] });
    for (const id of ['bn-1', 'bn-2', 'bn-3']) before.register(id, 'broadcast');
    before.beat('relay-eu', { connected: ['bn-1', 'bn-2', 'bn-3'] });
    before.beat('gw-home', { connected: ['bn-1', 'bn-2', 'bn-3'] });
    before.drain('bn-2');
    before.register('bn-4', 'broadcast');
    const old = before.membership.book.current;
    expect(before.listed()).toEqual({
      'bn-1': 'active',
      'bn-2': 'draining',
      'bn-3': 'active',
      'bn-4': 'joining',
      'relay-eu': 'active',
    });

    // A new manager process, later: every member's next heartbeat gets UNKNOWN and it registers again.
    before.clock.advance(30_000);
    const rebuilt = new MembershipHarness(
      { heartbeatMs: 1000, deadAfterMs: 3000, rebuildWindowMs: 3000 },
      before.clock,
    );
    for (const id of ['bn-4', 'relay-eu', 'bn-1', 'gw-eu', 'bn-3', 'pub-1', 'bn-2', 'gw-home']) {
      const member = before.membership.registry.get(id)!;
      expect(rebuilt.beat(id).command).toBe(UNKNOWN);
      rebuilt.membership.register(
        rebuilt.socketOf(id),
        {
          id,
          kind: member.kind,
          region: member.region,
          ...(member.pull ? { pull: member.pull } : {}),
          ...(member.pub ? { pub: member.pub } : {}),
          state: member.state,
        },
        rebuilt.clock.now(),
      );
    }

    expect(rebuilt.membership.book.current.nodes).toEqual(old.nodes);
    expect(rebuilt.membership.book.version).toBeGreaterThan(old.version);

    // Once rebuilt, the joining node waits for the listeners it waited for before.
    rebuilt.beat('gw-home', { connected: ['bn-1', 'bn-2', 'bn-3'] });
    rebuilt.pass(3_000, ['gw-home', 'gw-eu', 'pub-1', 'relay-eu', 'bn-1', 'bn-2', 'bn-3', 'bn-4']);
    expect(rebuilt.stateOf('bn-4')).toBe('joining');
    rebuilt.beat('gw-home', { connected: ['bn-1', 'bn-2', 'bn-3', 'bn-4'] });
    rebuilt.beat('relay-eu', { connected: ['bn-1', 'bn-2', 'bn-3', 'bn-4'] });
    expect(rebuilt.stateOf('bn-4')).toBe('active');
  });

  it('promotes nobody during the rebuild window, then catches up', () => {
    const h = new MembershipHarness({ heartbeatMs: 1000, deadAfterMs: 3000, rebuildWindowMs: 3000 });
    h.register('bn-1', 'broadcast');
    // Alone only because the subscribers have not re-registered yet.
    expect(h.stateOf('bn-1')).toBe('joining');
    h.pass(2_000, ['bn-1']);
    expect(h.stateOf('bn-1')).toBe('joining');
    h.pass(1_000, ['bn-1']);
    expect(h.stateOf('bn-1')).toBe('active');
  });

  it('hands out no topology while rebuilding, only the whole rebuilt one after', () => {
    const h = new MembershipHarness({ heartbeatMs: 1000, deadAfterMs: 3000, rebuildWindowMs: 3000 });
    // Until bn-2 re-registers, the topology lacks it: a member following it would drop bn-2.
    expect(h.register('bn-1', 'broadcast', { state: 'active' })).toBeNull();
    expect(h.register('gw-1', 'subscriber')).toBeNull();
    expect(h.membership.topologyReply(h.clock.now())).toBeNull();
    h.pass(1_000, ['gw-1']);
    expect(h.register('bn-2', 'broadcast', { state: 'active' })).toBeNull();
    // Members register again each heartbeat until the window closes.
    h.pass(2_000, ['gw-1']);
    const reply = h.reregister('bn-1', 'active')!;
    expect(reply.command).toBe(BroadcastCommand.REGISTERED);
    expect(body(reply)).toEqual({ topology: h.membership.book.current });
    expect(h.listed()).toEqual({ 'bn-1': 'active', 'bn-2': 'active' });
    expect(h.membership.topologyReply(h.clock.now())?.command).toBe(BroadcastCommand.TOPOLOGY);
  });

  it('trusts a claimed active state only while rebuilding; draining always', () => {
    const h = new MembershipHarness({ rebuildWindowMs: 3000 });
    h.register('gw-1', 'subscriber');
    h.register('bn-early', 'broadcast', { state: 'active' });
    h.pass(3_000, ['gw-1', 'bn-early']);
    h.register('bn-late', 'broadcast', { state: 'active' });
    h.register('bn-leaving', 'broadcast', { state: 'draining' });
    expect(h.listed()).toEqual({ 'bn-early': 'active', 'bn-late': 'joining', 'bn-leaving': 'draining' });
  });
});

describe('Membership: replies', () => {
  it('answers GET_TOPOLOGY with the current topology', () => {
    const h = new MembershipHarness();
    h.register('bn-1', 'broadcast');
    const reply = h.membership.topologyReply(h.clock.now())!;
    expect(reply.command).toBe(BroadcastCommand.TOPOLOGY);
    expect(body(reply)).toEqual({ topology: h.membership.book.current });
  });
});

describe('Membership: subscriber load', () => {
  it('keeps the last subscriber load, across heartbeats without one and a re-registration', () => {
    const h = new MembershipHarness();
    h.register('gw-1', 'subscriber');
    const load = { connections: 3, rooms: 1, viewers: 2, topRooms: [{ roomId: 'room-a', viewers: 2 }] };
    h.clock.advance(10);
    h.beat('gw-1', { subscriberLoad: load });
    const at = h.clock.now();
    h.clock.advance(10);
    h.beat('gw-1', { connected: [] });
    h.reregister('gw-1');
    const member = h.membership.registry.get('gw-1');
    expect(member?.subscriberLoad).toEqual(load);
    expect(member?.loadAt).toBe(at);
    expect(member?.load).toBeNull();
  });
});
