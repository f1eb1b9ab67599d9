/**
 * The capacity model of docs/capacity.md: what one room of 15 million online viewers needs
 * (gateways, broadcast nodes, relays, Redis operations per second), computed only from figures
 * the benches measured (bench/results/*.json) and a few stated assumptions. The doc's table is
 * this module's output, and a spec checks that they agree, so a bench that moves moves the doc.
 */

/** The fields of bench/results/*.json the model reads. */
export interface BenchResults {
  bigroom: {
    viewers: number;
    viewers_per_core: number;
    kb_per_conn: { ours: number };
    writes_per_viewer_second: number;
    figures: {
      ours: {
        kbPerConnRunning: number;
        redis?: { perGatewayPerSecond: number; roomServicePerMessage: number };
      };
    };
    settings: { capacityLoad: { importantPerSec: number; chatPerSec: number } };
    loaded?: boolean;
    measured_at: string;
  };
  broadcast: {
    messages: number;
    batches: number;
    cpu_us_per_message: { node: number };
    measured_at: string;
  };
  fanout: { ours: number; measured_at: string };
  rpc: { cpu_us_per_call: { ours?: Record<string, number> }; measured_at: string };
  /** bench/storm: a gateway killed under load, its viewers rejoining the others. */
  storm?: {
    viewers: number;
    rpc_per_rejoin: number;
    redis_cmds_per_rejoin: number;
    rejoined_seconds: number;
    measured_at: string;
  };
}

/** Assumptions, not measurements: each is stated in the doc. */
export const ASSUMPTIONS = {
  roomViewers: 15_000_000,
  /** Share of a core a broadcast node or relay may spend on this one room's fan-out. */
  publisherCoreShare: 0.5,
};

export interface ModelRow {
  quantity: string;
  value: string;
  formula: string;
}

const fmt = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });

/** The model's figures (numbers) from the results. */
export function capacityFigures(r: BenchResults) {
  const R = ASSUMPTIONS.roomViewers;
  const load = r.bigroom.settings.capacityLoad;
  const M = load.importantPerSec + load.chatPerSec;
  const viewersPerCore = r.bigroom.viewers_per_core;
  const gatewayCores = Math.ceil(R / viewersPerCore);
  const memoryGiB = (R * r.bigroom.figures.ours.kbPerConnRunning) / 1024 / 1024;
  const writesPerSecond = R * r.bigroom.writes_per_viewer_second;
  // The node's whole CPU per message, batches as the bench made them, charged to every
  // subscriber: an upper bound (the bench had one subscriber; the node's merge work is shared).
  const messagesPerBatch = r.broadcast.messages / r.broadcast.batches;
  const usPerBatchPerSubscriber = r.broadcast.cpu_us_per_message.node * messagesPerBatch;
  // At the room's rate, with 20 ms merge windows, nearly every message leaves in a batch of its own.
  const subscribersPerPublisher = Math.floor(
    (ASSUMPTIONS.publisherCoreShare * 1e6) / (M * usPerBatchPerSubscriber),
  );
  const relays =
    gatewayCores <= subscribersPerPublisher ? 0 : Math.ceil(gatewayCores / subscribersPerPublisher);
  const nodeSubscribers = relays === 0 ? gatewayCores : relays;
  const nodeCoreShare = (nodeSubscribers * M * usPerBatchPerSubscriber) / 1e6;
  const redis = r.bigroom.figures.ours.redis;
  const redisOpsPerSecond =
    redis === undefined
      ? undefined
      : gatewayCores * redis.perGatewayPerSecond + M * redis.roomServicePerMessage;
  const brokerUsPerCall = r.rpc.cpu_us_per_call.ours?.['broker'];
  const fanoutCrossCheckCores = Math.ceil((R * load.chatPerSec) / r.fanout.ours);
  // One gateway process dies: its share of the room (one core's viewers) rejoins the others.
  const storm =
    r.storm === undefined
      ? undefined
      : {
          rpcCalls: viewersPerCore * r.storm.rpc_per_rejoin,
          redisCommands: viewersPerCore * r.storm.redis_cmds_per_rejoin,
        };
  return {
    R,
    M,
    viewersPerCore,
    gatewayCores,
    memoryGiB,
    writesPerSecond,
    messagesPerBatch,
    usPerBatchPerSubscriber,
    subscribersPerPublisher,
    relays,
    nodeSubscribers,
    nodeCoreShare,
    redis,
    redisOpsPerSecond,
    brokerUsPerCall,
    fanoutCrossCheckCores,
    storm,
  };
}

/** The doc's table rows. */
export function capacityRows(r: BenchResults): ModelRow[] {
  const f = capacityFigures(r);
  const rows: ModelRow[] = [
    {
      quantity: 'room load (messages/s into the room)',
      value: fmt(f.M),
      formula: 'M = important + normal of bigroom `settings.capacityLoad`',
    },
    {
      quantity: 'gateway viewers per core',
      value: fmt(f.viewersPerCore),
      formula: 'V = bigroom `viewers_per_core`',
    },
    {
      quantity: 'gateway cores (= gateway processes, one event loop each)',
      value: fmt(f.gatewayCores),
      formula: 'G = ⌈R / V⌉',
    },
    {
      quantity: 'gateway memory, in running (GiB, all gateways)',
      value: fmt(f.memoryGiB, 1),
      formula: 'R × bigroom `figures.ours.kbPerConnRunning` KB',
    },
    {
      quantity: 'gateway write calls per second (all gateways)',
      value: fmt(f.writesPerSecond),
      formula: 'R × bigroom `writes_per_viewer_second`',
    },
    {
      quantity: 'broadcast CPU per batch per subscriber (µs, upper bound)',
      value: fmt(f.usPerBatchPerSubscriber, 1),
      formula: 'broadcast `cpu_us_per_message.node` × `messages` / `batches`',
    },
    {
      quantity: 'subscribers one node or relay feeds with this room',
      value: fmt(f.subscribersPerPublisher),
      formula: `S = ⌊${ASSUMPTIONS.publisherCoreShare} core / (M × per-batch cost)⌋`,
    },
    {
      quantity: 'relays',
      value: fmt(f.relays),
      formula: '0 if G ≤ S, else ⌈G / S⌉',
    },
    {
      quantity: 'broadcast nodes carrying the room',
      value: '1',
      formula: 'a room lives on one node; its subscribers: relays, or the gateways when there are none',
    },
    {
      quantity: "the node's CPU for the room (cores)",
      value: fmt(f.nodeCoreShare, 3),
      formula: 'subscribers × M × per-batch cost',
    },
  ];
  rows.push(
    f.redis === undefined || f.redisOpsPerSecond === undefined
      ? {
          quantity: 'Redis operations per second for the room',
          value: 'not measured',
          formula: 'bigroom.json has no `figures.ours.redis`: run bench/bigroom',
        }
      : {
          quantity: 'Redis operations per second for the room',
          value: fmt(f.redisOpsPerSecond),
          formula: `G × ${f.redis.perGatewayPerSecond} (per gateway) + M × ${f.redis.roomServicePerMessage} (room-service per message), bigroom \`figures.ours.redis\``,
        },
  );
  if (f.brokerUsPerCall !== undefined) {
    rows.push({
      quantity: "the RPC broker's CPU for the room's sends (cores)",
      value: fmt((f.M * f.brokerUsPerCall) / 1e6, 4),
      formula: 'M × rpc `cpu_us_per_call.ours.broker` µs',
    });
  }
  if (f.storm !== undefined && r.storm !== undefined) {
    rows.push(
      {
        quantity: 'room-service calls when one gateway dies (its viewers rejoin the others)',
        value: fmt(f.storm.rpcCalls),
        formula: `V × storm \`rpc_per_rejoin\` (${r.storm.rpc_per_rejoin})`,
      },
      {
        quantity: 'Redis commands for those rejoins',
        value: fmt(f.storm.redisCommands),
        formula: `V × storm \`redis_cmds_per_rejoin\` (${r.storm.redis_cmds_per_rejoin})`,
      },
    );
  }
  rows.push({
    quantity: 'cross-check: gateway cores for the chat alone, from bench/fanout',
    value: fmt(f.fanoutCrossCheckCores),
    formula: 'R × chat/s ÷ fanout `ours` (deliveries per gateway CPU-second); must stay ≤ G',
  });
  return rows;
}

export const TABLE_BEGIN = '<!-- capacity-model:begin (generated by bench/capacity/main.ts; do not edit) -->';
export const TABLE_END = '<!-- capacity-model:end -->';

/** The generated block of docs/capacity.md, markers included. */
export function capacityTable(r: BenchResults): string {
  const loaded = r.bigroom.loaded
    ? ' ⚠ bigroom was measured on a loaded machine: not a capacity figure.'
    : '';
  const lines = [
    TABLE_BEGIN,
    '',
    `Inputs: bigroom ${r.bigroom.measured_at.slice(0, 10)} (${fmt(r.bigroom.viewers)} viewers), ` +
      `broadcast ${r.broadcast.measured_at.slice(0, 10)}, fanout ${r.fanout.measured_at.slice(0, 10)}, ` +
      `rpc ${r.rpc.measured_at.slice(0, 10)}` +
      (r.storm === undefined
        ? ''
        : `, storm ${r.storm.measured_at.slice(0, 10)} (${fmt(r.storm.viewers)} viewers)`) +
      `; R = ${fmt(ASSUMPTIONS.roomViewers)}.${loaded}`,
    '',
    '| quantity | value | formula |',
    '|---|---|---|',
    ...capacityRows(r).map((row) => `| ${row.quantity} | ${row.value} | ${row.formula} |`),
    '',
    TABLE_END,
  ];
  return lines.join('\n');
}

/** `doc` with its generated block replaced by the one `r` gives. */
export function withTable(doc: string, r: BenchResults): string {
  const begin = doc.indexOf(TABLE_BEGIN);
  const end = doc.indexOf(TABLE_END);
  if (begin < 0 || end < begin) throw new Error('docs/capacity.md has no capacity-model block');
  return doc.slice(0, begin) + capacityTable(r) + doc.slice(end + TABLE_END.length);
}
