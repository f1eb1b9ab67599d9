import { readFileSync } from 'node:fs';

/**
 * Diagnosis for bench/conn-memory: what the objects allocated between two heap snapshots of one
 * process (`--snapshots=1` writes `<server>-before` and `<server>-after`, both after a forced GC)
 * are, per connection. V8 keeps an object's snapshot id for its whole life, so "new" is exact: the
 * objects of the after snapshot whose id the before snapshot does not have. Grouped by kind and
 * constructor (self sizes), and for the largest groups by what holds them (the first retainer's
 * constructor and the edge's name), which is where a per-connection cost is found.
 *
 *   node dist/bench/bench/conn-memory/heap-diff.js <before.heapsnapshot> <after.heapsnapshot> <connections> [groups]
 */
interface RawSnapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

interface Group {
  key: string;
  count: number;
  bytes: number;
  /** Retainer key → bytes of this group's new objects it holds. */
  holders: Map<string, number>;
}

class HeapSnapshot {
  readonly nodeCount: number;
  private readonly nodeWidth: number;
  private readonly edgeWidth: number;
  private readonly typeOffset: number;
  private readonly nameOffset: number;
  private readonly idOffset: number;
  private readonly sizeOffset: number;
  private readonly edgeCountOffset: number;
  private readonly edgeTypeOffset: number;
  private readonly edgeNameOffset: number;
  private readonly edgeToOffset: number;
  private readonly nodeTypes: string[];
  private readonly edgeTypes: string[];

  constructor(private readonly raw: RawSnapshot) {
    const meta = raw.snapshot.meta;
    this.nodeWidth = meta.node_fields.length;
    this.edgeWidth = meta.edge_fields.length;
    this.typeOffset = meta.node_fields.indexOf('type');
    this.nameOffset = meta.node_fields.indexOf('name');
    this.idOffset = meta.node_fields.indexOf('id');
    this.sizeOffset = meta.node_fields.indexOf('self_size');
    this.edgeCountOffset = meta.node_fields.indexOf('edge_count');
    this.edgeTypeOffset = meta.edge_fields.indexOf('type');
    this.edgeNameOffset = meta.edge_fields.indexOf('name_or_index');
    this.edgeToOffset = meta.edge_fields.indexOf('to_node');
    this.nodeTypes = meta.node_types[0];
    this.edgeTypes = meta.edge_types[0];
    this.nodeCount = raw.nodes.length / this.nodeWidth;
  }

  static read(path: string): HeapSnapshot {
    return new HeapSnapshot(JSON.parse(readFileSync(path, 'utf8')) as RawSnapshot);
  }

  id(node: number): number {
    return this.raw.nodes[node * this.nodeWidth + this.idOffset];
  }

  size(node: number): number {
    return this.raw.nodes[node * this.nodeWidth + this.sizeOffset];
  }

  /** Kind and name: an object's constructor, a closure's function name, a string's kind. */
  key(node: number): string {
    const base = node * this.nodeWidth;
    const type = this.nodeTypes[this.raw.nodes[base + this.typeOffset]];
    const name = this.raw.strings[this.raw.nodes[base + this.nameOffset]];
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') return `(${type})`;
    if (type === 'number' || type === 'bigint') return `(${type})`;
    return `${type}:${name.length > 60 ? `${name.slice(0, 60)}…` : name}`;
  }

  /** For every node, one node that holds it (weak edges aside) and that edge's name, or -1. */
  firstRetainers(): { holder: Int32Array; edgeName: string[] } {
    const holder = new Int32Array(this.nodeCount).fill(-1);
    const edgeName: string[] = new Array<string>(this.nodeCount);
    const { nodes, edges, strings } = this.raw;
    let edge = 0;
    for (let node = 0; node < this.nodeCount; node += 1) {
      const count = nodes[node * this.nodeWidth + this.edgeCountOffset];
      for (let i = 0; i < count; i += 1, edge += this.edgeWidth) {
        const type = this.edgeTypes[edges[edge + this.edgeTypeOffset]];
        if (type === 'weak' || type === 'shortcut') continue;
        const to = edges[edge + this.edgeToOffset] / this.nodeWidth;
        if (holder[to] !== -1) continue;
        holder[to] = node;
        const nameOrIndex = edges[edge + this.edgeNameOffset];
        edgeName[to] = type === 'element' || type === 'hidden' ? `[${nameOrIndex}]` : strings[nameOrIndex];
      }
    }
    return { holder, edgeName };
  }
}

function main(): void {
  const [beforePath, afterPath, connectionsText, groupsText] = process.argv.slice(2);
  const connections = Number(connectionsText);
  if (beforePath === undefined || afterPath === undefined || !(connections > 0)) {
    console.error('usage: heap-diff <before.heapsnapshot> <after.heapsnapshot> <connections> [groups]');
    process.exitCode = 2;
    return;
  }
  const shown = Number(groupsText ?? 40);
  const before = HeapSnapshot.read(beforePath);
  const known = new Set<number>();
  for (let node = 0; node < before.nodeCount; node += 1) known.add(before.id(node));
  const after = HeapSnapshot.read(afterPath);
  const { holder, edgeName } = after.firstRetainers();
  const groups = new Map<string, Group>();
  let total = 0;
  for (let node = 0; node < after.nodeCount; node += 1) {
    if (known.has(after.id(node))) continue;
    const key = after.key(node);
    let group = groups.get(key);
    if (group === undefined) {
      group = { key, count: 0, bytes: 0, holders: new Map() };
      groups.set(key, group);
    }
    const size = after.size(node);
    group.count += 1;
    group.bytes += size;
    total += size;
    const by = holder[node];
    const holderKey = by === -1 ? '(none)' : `${after.key(by)} .${edgeName[node]}`;
    group.holders.set(holderKey, (group.holders.get(holderKey) ?? 0) + size);
  }
  const perConnection = (bytes: number) => (bytes / connections).toFixed(1);
  console.log(`new objects: ${perConnection(total)} bytes per connection (${connections} connections)`);
  const sorted = [...groups.values()].sort((a, b) => b.bytes - a.bytes).slice(0, shown);
  for (const group of sorted) {
    console.log(
      `${perConnection(group.bytes).padStart(8)} B  ${(group.count / connections).toFixed(2).padStart(6)}/conn  ${group.key}`,
    );
    const holders = [...group.holders].sort((a, b) => b[1] - a[1]).slice(0, 4);
    for (const [key, bytes] of holders)
      console.log(`${''.padStart(28)}${perConnection(bytes)} B held by ${key}`);
  }
}

main();
