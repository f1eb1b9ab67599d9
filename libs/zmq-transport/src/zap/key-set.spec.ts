import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBusKeySet, replicaKeyName, writeBusKeySet } from './key-set';

describe('the bus key set', () => {
  it('gives every broadcast node replica its own member key, and the nodes one shared serving key', () => {
    const set = makeBusKeySet(undefined, { replicas: 3 });
    const replicaKeys = [0, 1, 2].map((i) => set.keys[replicaKeyName('broadcast-node', i)]?.publicKey);
    const shared = set.keys['broadcast-node']?.publicKey;
    expect(new Set([...replicaKeys, shared]).size).toBe(4);

    const nodeMembers = set.trust.members.filter((m) => m.kinds.includes('broadcast'));
    expect(nodeMembers.map((m) => m.name)).toEqual([
      'broadcast-node-0',
      'broadcast-node-1',
      'broadcast-node-2',
    ]);
    expect(nodeMembers.map((m) => m.key)).toEqual(replicaKeys);
    expect(nodeMembers.every((m) => m.kinds.join() === 'broadcast,relay')).toBe(true);
    // The shared key serves, and a relay pushes and subscribes upstream with it; it joins as no one.
    expect(set.trust.broadcast).toBe(shared);
    expect(set.trust.members.some((m) => m.key === shared)).toBe(false);
    expect(set.trust.publishers.some((p) => p.key === shared)).toBe(true);
    expect(set.trust.subscribers.some((s) => s.key === shared)).toBe(true);
    // Members that join with one key per kind keep it: the gateway and room-service.
    expect(set.trust.members.find((m) => m.name === 'gateway')?.key).toBe(set.keys['gateway']?.publicKey);
  });

  it('makes 8 replica keys by default and refuses a count out of range', () => {
    const set = makeBusKeySet();
    expect(Object.keys(set.keys).filter((name) => /^broadcast-node-\d+$/.test(name))).toHaveLength(8);
    expect(() => makeBusKeySet(undefined, { replicas: 0 })).toThrow(RangeError);
    expect(() => makeBusKeySet(undefined, { replicas: 1.5 })).toThrow(RangeError);
  });

  it('writes one owner-only key file per key and the trust list', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'bus-keys-')), 'set');
    const set = makeBusKeySet(undefined, { replicas: 2 });
    writeBusKeySet(dir, set);
    const files = readdirSync(dir).sort();
    expect(files).toContain('broadcast-node-0.key.json');
    expect(files).toContain('broadcast-node-1.key.json');
    expect(files).toContain('trust.json');
    const pair = JSON.parse(readFileSync(join(dir, 'broadcast-node-1.key.json'), 'utf8')) as unknown;
    expect(pair).toEqual(set.keys['broadcast-node-1']);
  });
});
