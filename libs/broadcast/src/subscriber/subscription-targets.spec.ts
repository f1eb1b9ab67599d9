import type { Topology, TopologyNode } from '@live-im/contracts';
import { rendezvousOwner } from '../protocol/rendezvous';
import {
  channelOwners,
  channelPlacement,
  isUserChannel,
  NO_PLACES,
  PlaceLists,
  SHARED_PLACEMENT,
} from './subscription-targets';

function node(
  id: string,
  state: TopologyNode['state'],
  kind: TopologyNode['kind'] = 'broadcast',
): TopologyNode {
  return { id, kind, region: 'home', state, pull: kind === 'relay' ? null : 'tcp://h:1', pub: 'tcp://h:2' };
}

function topology(...nodes: TopologyNode[]): Topology {
  return { version: 1, updatedAt: 0, nodes };
}

const CHANNELS = Array.from({ length: 300 }, (_, i) => `_user-${i}`);

describe('user channel placement', () => {
  it('tells user channels from rooms', () => {
    expect(isUserChannel('_u1')).toBe(true);
    expect(isUserChannel('room-1')).toBe(false);
  });

  it('places each channel at its rendezvous owner among the active nodes only', () => {
    const owners = channelOwners(
      topology(node('a', 'active'), node('b', 'active'), node('c', 'draining')),
      'home',
    );
    for (const channel of CHANNELS) {
      expect(channelPlacement(channel, owners)).toEqual([rendezvousOwner(channel, ['a', 'b'])]);
    }
  });

  it('adds the joining node for the channels it will own once active', () => {
    const owners = channelOwners(
      topology(node('a', 'active'), node('b', 'active'), node('c', 'joining')),
      'home',
    );
    let both = 0;
    for (const channel of CHANNELS) {
      const now = rendezvousOwner(channel, ['a', 'b']);
      const next = rendezvousOwner(channel, ['a', 'b', 'c']);
      expect(channelPlacement(channel, owners)).toEqual(next === now ? [now] : [now, 'c']);
      if (next !== now) both += 1;
    }
    expect(both).toBeGreaterThan(0);
  });

  it('uses the shared socket when the region has a relay, and nothing without a node', () => {
    const relayed = channelOwners(topology(node('a', 'active'), node('r', 'active', 'relay')), 'home');
    expect(channelPlacement('_u1', relayed)).toEqual([SHARED_PLACEMENT]);
    expect(channelPlacement('_u1', channelOwners(topology(), 'home'))).toEqual([]);
  });
});

describe('shared place lists', () => {
  it('hands every channel placed alike the same frozen list, in the order given', () => {
    const lists = new PlaceLists();
    const one = lists.of(['bn-a']);
    expect(lists.of(['bn-a'])).toBe(one);
    expect(Object.isFrozen(one)).toBe(true);
    const pair = lists.of(['bn-a', 'bn-b']);
    expect(pair).toEqual(['bn-a', 'bn-b']);
    expect(lists.of(['bn-b', 'bn-a'])).toEqual(['bn-b', 'bn-a']);
    expect(lists.of(['bn-a', 'bn-b'])).toBe(pair);
    expect(lists.of([])).toBe(NO_PLACES);
    expect(lists.of([SHARED_PLACEMENT])).toEqual([SHARED_PLACEMENT]);
  });

  it('makes new lists after clear, leaving the ones handed out as they were', () => {
    const lists = new PlaceLists();
    const before = lists.of(['bn-a']);
    lists.clear();
    const after = lists.of(['bn-a']);
    expect(after).not.toBe(before);
    expect(before).toEqual(['bn-a']);
  });
});
