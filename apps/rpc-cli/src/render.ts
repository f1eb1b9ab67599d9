import { BrokerStats, BrokerWorkerStats } from '@live-im/zmq-transport';

function pad(cells: string[][]): string {
  const widths = cells[0]?.map((_, col) => Math.max(...cells.map((row) => (row[col] ?? '').length))) ?? [];
  return cells
    .map((row) =>
      row
        .map((cell, col) => cell.padEnd(widths[col] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function workerRow(service: string, w: BrokerWorkerStats): string[] {
  return [
    service,
    w.instance,
    w.version,
    `${w.inFlight}/${w.capacity}`,
    String(w.served),
    w.draining ? 'draining' : 'ready',
    `${w.lastSeenMsAgo}ms`,
  ];
}

/** The `rpc services` view of one broker: every service, its workers, in-flight and queue depth. */
export function renderBrokerStats(endpoint: string, stats: BrokerStats): string {
  const lines = [
    `broker ${stats.brokerId} at ${endpoint}  up ${Math.round(stats.uptimeMs / 1000)}s  clients ${stats.clients}  ` +
      `in-flight ${stats.inFlight}  queued bytes ${stats.queuedBytes}`,
  ];
  const rows: string[][] = [['SERVICE', 'INSTANCE', 'VERSION', 'IN-FLIGHT', 'SERVED', 'STATE', 'LAST SEEN']];
  const queues: string[] = [];
  for (const [name, service] of Object.entries(stats.services).sort(([a], [b]) => a.localeCompare(b))) {
    if (service.workers.length === 0) rows.push([name, '(no worker)', '', '', '', '', '']);
    for (const worker of service.workers) rows.push(workerRow(name, worker));
    queues.push(`${name}=${service.queued}`);
  }
  lines.push(pad(rows));
  lines.push(`queued: ${queues.join(' ') || '(none)'}`);
  const c = stats.counters;
  lines.push(
    `requests ${c.requests}  replies ${c.replies}  dispatched ${c.dispatched}  redispatched ${c.redispatched}  ` +
      `expired ${c.expired}  overloaded ${c.overloaded}  workerLost ${c.workerLost}  ` +
      `serviceUnavailable ${c.serviceUnavailable}  tooLarge ${c.tooLarge}`,
  );
  lines.push(
    `malformed ${c.malformed} (frontend ${c.malformedFrontend} backend ${c.malformedBackend})  ` +
      `eventsLost ${c.eventsLost}  staleReplies ${c.staleReplies}  droppedForDeadClient ${c.droppedForDeadClient}  ` +
      `undeliverableReplies ${c.undeliverableReplies}`,
  );
  lines.push(
    `peerDisconnects ${c.peerDisconnects} (frontend ${c.peerDisconnectsFrontend} backend ${c.peerDisconnectsBackend})`,
  );
  return lines.join('\n');
}
