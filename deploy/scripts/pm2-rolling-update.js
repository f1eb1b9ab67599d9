#!/usr/bin/env node
// Rolling update of the live-im system under pm2 (deploy/pm2/ecosystem.config.js): restarts every
// instance one at a time so the new build in dist/ takes over without a failed call.
//
//   node deploy/scripts/pm2-rolling-update.js [--only kind,kind] [--ready-timeout-ms 60000]
//                                             [--pause-ms 2000] [--dry-run]
//
// Per instance: check a sibling of the same kind is serving (else the kind has a short gap, which
// is said), `pm2 restart` it — pm2 sends SIGINT and the app drains before it exits (a broker tells
// its clients CLOSING and answers what it holds, a worker DRAINs at every broker, a broadcast node
// hands its rooms over, a gateway lets its clients move and resume) — then wait until it is ready
// again (a broadcast node: active in the node manager's topology), pause, and go on. It stops at
// the first instance that does not come back, leaving the rest untouched. Exit 0 when all rolled.
'use strict';

const {
  KIND_ORDER,
  isServing,
  liveImProcesses,
  log,
  pm2,
  positiveInt,
  runScript,
  sleep,
  waitUntil,
} = require('./lib/pm2-system');

const USAGE = `usage: node deploy/scripts/pm2-rolling-update.js [--only kind,kind] [--ready-timeout-ms N] [--pause-ms N] [--dry-run]
kinds: ${KIND_ORDER.join(', ')}`;

const OPTIONS = {
  only: 'value',
  'ready-timeout-ms': 'value',
  'pause-ms': 'value',
  'dry-run': 'flag',
};

async function main(positional, options) {
  if (positional.length > 0) throw new Error(`unexpected argument ${positional[0]}\n${USAGE}`);
  const only = options.only ? options.only.split(',') : KIND_ORDER;
  for (const kind of only)
    if (!KIND_ORDER.includes(kind)) throw new Error(`unknown kind "${kind}"\n${USAGE}`);
  const readyTimeoutMs = positiveInt(options['ready-timeout-ms'] ?? 60_000, '--ready-timeout-ms');
  const pauseMs = positiveInt(options['pause-ms'] ?? 2000, '--pause-ms');

  const processes = await liveImProcesses();
  const targets = processes.filter((p) => only.includes(p.kind));
  if (targets.length === 0) throw new Error('pm2 runs no live-im process to update (is PM2_HOME right?)');

  // Rolling a system that is already broken would only hide where it broke. A system just started
  // gets the ready timeout to settle (broadcast nodes turn active once the gateways connect).
  let notServing = [];
  await waitUntil(async () => {
    notServing = [];
    for (const proc of processes) if (!(await isServing(proc, processes))) notServing.push(proc.name);
    return notServing.length === 0;
  }, readyTimeoutMs);
  if (notServing.length > 0)
    throw new Error(`not serving before the update, fix first: ${notServing.join(', ')}`);

  log(`rolling ${targets.length} instances: ${targets.map((p) => p.name).join(' ')}`);
  for (const proc of targets) {
    const siblings = processes.filter((p) => p.kind === proc.kind && p.name !== proc.name);
    if (siblings.length === 0) log(`${proc.name}: the only ${proc.kind}; its work pauses while it restarts`);
    if (options['dry-run']) {
      log(`would run: pm2 restart ${proc.name}, then wait for ${proc.name} to serve`);
      continue;
    }
    const startedAt = Date.now();
    log(`${proc.name}: draining and restarting`);
    await pm2(['restart', proc.name], { timeoutMs: 120_000 });
    const back = await waitUntil(() => isServing(proc, processes), readyTimeoutMs);
    if (!back) {
      log(`${proc.name}: not serving after ${readyTimeoutMs} ms; stopping the rollout here`);
      return 1;
    }
    log(`${proc.name}: serving again after ${Date.now() - startedAt} ms`);
    // Lets clients reconnect to it (brokers, gateways) before its sibling goes down.
    await sleep(pauseMs);
  }
  log('rolling update done');
  return 0;
}

runScript('pm2-rolling-update', USAGE, OPTIONS, main);
