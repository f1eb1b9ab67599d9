#!/usr/bin/env node
// Scales one kind of the live-im system under pm2 (deploy/pm2/ecosystem.config.js) to N instances
// while it runs:
//
//   node deploy/scripts/pm2-scale.js <room-service|broadcast-node|gateway|user-service> <count>
//        [--ready-timeout-ms 60000] [--dry-run]
//
// Up: starts the missing instances from the ecosystem file (the port base, secrets, Redis and
// counts of the other kinds are read off the running processes, so nothing needs re-exporting)
// and waits until each serves (a broadcast node: active in the node manager's topology, which only
// moves the rooms rendezvous hashing gives it). Down: stops the highest-numbered instances with
// `pm2 delete`, which drains them first (SIGINT). Brokers are not scaled here: every client and
// worker holds the broker list from its start, so a broker change is a config change followed by
// deploy/scripts/pm2-rolling-update.js.
'use strict';

const { dirname } = require('node:path');
const {
  ECOSYSTEM,
  isServing,
  liveImProcesses,
  log,
  pm2,
  positiveInt,
  runScript,
  waitUntil,
} = require('./lib/pm2-system');

/** Scalable kinds, the env var of their count and the most the port layout allows. */
const SCALABLE = {
  'user-service': { countVar: 'LIVE_IM_USER_SERVICES', max: 4 },
  'room-service': { countVar: 'LIVE_IM_ROOM_SERVICES', max: 8 },
  'broadcast-node': { countVar: 'LIVE_IM_BROADCAST_NODES', max: 8 },
  gateway: { countVar: 'LIVE_IM_GATEWAYS', max: 8 },
};
const NODE_MANAGER_ADMIN_OFFSET = 20;
const COMMON_VARS = [
  'NODE_ENV',
  'LOG_LEVEL',
  'HTTP_HOST',
  'ADMIN_HOST',
  'REDIS_URL',
  'REDIS_CLUSTER_NODES',
  'REDIS_KEY_PREFIX',
  'REGION',
];

const USAGE = `usage: node deploy/scripts/pm2-scale.js <${Object.keys(SCALABLE).join('|')}> <count> [--ready-timeout-ms N] [--dry-run]`;

/** The environment the ecosystem file must be evaluated with to declare the new instances as the running ones were. */
function ecosystemEnv(processes, kind, count) {
  const manager = processes.find((p) => p.kind === 'node-manager');
  if (!manager && !process.env.LIVE_IM_PORT_BASE) {
    throw new Error('no node-manager under pm2 to read the port base from; set LIVE_IM_PORT_BASE');
  }
  const sibling = processes.find((p) => p.kind === kind) ?? processes[0];
  const env = { ...process.env };
  for (const name of COMMON_VARS) {
    if (sibling.env[name] !== undefined) env[name] = sibling.env[name];
    else delete env[name];
  }
  if (manager) {
    env.LIVE_IM_PORT_BASE = String(Number(manager.env.ADMIN_PORT) - NODE_MANAGER_ADMIN_OFFSET);
    const host = /^tcp:\/\/([^:]+):/.exec(manager.env.NM_ROUTER_BIND ?? '')?.[1];
    if (host) env.LIVE_IM_ZMQ_HOST = host;
  }
  env.JWT_SECRET ??= processes.find((p) => p.env.JWT_SECRET)?.env.JWT_SECRET;
  env.API_KEY ??= processes.find((p) => p.env.API_KEY)?.env.API_KEY;
  if (sibling.logFile) env.LIVE_IM_PM2_LOG_DIR = dirname(sibling.logFile);
  const brokers = processes.filter((p) => p.kind === 'rpc-broker').length;
  if (brokers > 0) env.LIVE_IM_BROKERS = String(brokers);
  for (const [other, { countVar }] of Object.entries(SCALABLE)) {
    const running = processes.filter((p) => p.kind === other).length;
    env[countVar] = String(other === kind ? count : Math.max(running, 1));
  }
  return env;
}

const OPTIONS = {
  'ready-timeout-ms': 'value',
  'dry-run': 'flag',
};

async function main(positional, options) {
  const [kind, rawCount] = positional;
  if (kind === 'rpc-broker') {
    throw new Error('brokers are not scaled at run time: change LIVE_IM_BROKERS and roll every app');
  }
  if (!kind || !(kind in SCALABLE) || rawCount === undefined || positional.length > 2) throw new Error(USAGE);
  const { max } = SCALABLE[kind];
  const count = positiveInt(rawCount, 'count');
  if (count < 1 || count > max) throw new Error(`${kind} count must be from 1 to ${max}, got ${count}`);
  const readyTimeoutMs = positiveInt(options['ready-timeout-ms'] ?? 60_000, '--ready-timeout-ms');

  const processes = await liveImProcesses();
  const running = processes.filter((p) => p.kind === kind);
  log(`${kind}: ${running.length} running, ${count} wanted`);

  if (count < running.length) {
    // The newest go first; each drains on pm2's SIGINT before it exits.
    for (const proc of running.slice(count).reverse()) {
      if (options['dry-run']) {
        log(`would run: pm2 delete ${proc.name}`);
        continue;
      }
      log(`${proc.name}: draining and stopping`);
      await pm2(['delete', proc.name]);
    }
    return 0;
  }

  const used = new Set(running.map((p) => p.index));
  const adding = [];
  for (let index = 1; adding.length < count - running.length; index += 1) {
    if (!used.has(index)) adding.push(`${kind}-${index}`);
  }
  if (adding.length === 0) return 0;
  const env = ecosystemEnv(processes, kind, Math.max(count, ...running.map((p) => p.index)));
  for (const name of adding) {
    if (options['dry-run']) {
      log(`would run: pm2 start ${ECOSYSTEM} --only ${name}`);
      continue;
    }
    log(`${name}: starting`);
    await pm2(['start', ECOSYSTEM, '--only', name], { env });
  }
  if (options['dry-run']) return 0;
  const all = await liveImProcesses();
  for (const name of adding) {
    const proc = all.find((p) => p.name === name);
    if (!proc) throw new Error(`${name} did not start; see its pm2 log`);
    if (!(await waitUntil(() => isServing(proc, all), readyTimeoutMs))) {
      log(`${name}: not serving after ${readyTimeoutMs} ms`);
      return 1;
    }
    log(`${name}: serving`);
  }
  return 0;
}

runScript('pm2-scale', USAGE, OPTIONS, main);
