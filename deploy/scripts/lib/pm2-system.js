// What deploy/scripts/pm2-rolling-update.js and pm2-scale.js share: the pm2 CLI, the live-im
// processes pm2 runs (from `pm2 jlist`), and readiness checks over their admin ports.
'use strict';

const { execFile } = require('node:child_process');
const { join } = require('node:path');

const ROOT = join(__dirname, '../../..');
const ECOSYSTEM = join(ROOT, 'deploy/pm2/ecosystem.config.js');

/** Restart order: the RPC path first, then the broadcast cluster, the gateways (clients move) last. */
const KIND_ORDER = [
  'rpc-broker',
  'user-service',
  'room-service',
  'node-manager',
  'broadcast-node',
  'gateway',
];
const NAME = /^(rpc-broker|user-service|room-service|node-manager|broadcast-node|gateway)(?:-(\d+))?$/;

/** The pm2 CLI: PM2_BIN, else the project's own pm2, else `pm2` on PATH. */
function pm2Command() {
  if (process.env.PM2_BIN) return [process.execPath, [process.env.PM2_BIN]];
  try {
    return [process.execPath, [require.resolve('pm2/bin/pm2', { paths: [ROOT] })]];
  } catch {
    return ['pm2', []];
  }
}

/** Runs `pm2 <args>`; resolves with its output, rejects with it on a non-zero exit. */
function pm2(args, { env = process.env, timeoutMs = 120_000 } = {}) {
  const [command, prefix] = pm2Command();
  return new Promise((resolve, reject) => {
    execFile(
      command,
      [...prefix, ...args],
      { cwd: ROOT, env, timeout: timeoutMs, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`pm2 ${args.join(' ')} failed: ${stderr || stdout || error.message}`));
        else resolve(stdout);
      },
    );
  });
}

/**
 * The live-im processes pm2 knows, in restart order: {name, kind, index, status, pid, env, logFile}.
 * `env` is the environment pm2 started the process with.
 */
async function liveImProcesses() {
  const list = JSON.parse(await pm2(['jlist']));
  const processes = [];
  for (const proc of list) {
    const match = NAME.exec(proc.name);
    if (!match) continue;
    const pm2Env = proc.pm2_env || {};
    processes.push({
      name: proc.name,
      kind: match[1],
      index: match[2] ? Number(match[2]) : 1,
      status: pm2Env.status,
      pid: proc.pid,
      env: { ...(pm2Env.env || {}) },
      logFile: pm2Env.pm_out_log_path,
    });
  }
  return processes.sort(
    (a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.index - b.index,
  );
}

/** A path on an app's admin listener (probes, /cluster): every app has one. */
function adminUrl(proc, path) {
  const host = proc.env.ADMIN_HOST && proc.env.ADMIN_HOST !== '0.0.0.0' ? proc.env.ADMIN_HOST : '127.0.0.1';
  return `http://${host}:${proc.env.ADMIN_PORT}${path}`;
}

async function getJson(url, timeoutMs = 2000) {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) {
    await res.arrayBuffer();
    return { status: res.status, body: undefined };
  }
  return { status: res.status, body: await res.json() };
}

async function isReady(proc) {
  try {
    return (await getJson(adminUrl(proc, '/health/ready'))).status === 200;
  } catch {
    return false;
  }
}

/** The node manager's GET /cluster, or undefined when it does not answer. */
async function clusterView(processes) {
  const manager = processes.find((p) => p.kind === 'node-manager');
  if (!manager) return undefined;
  try {
    return (await getJson(adminUrl(manager, '/cluster'))).body;
  } catch {
    return undefined;
  }
}

/** Ready, and for a broadcast node also active in the manager's topology (it takes rooms again). */
async function isServing(proc, processes) {
  if (!(await isReady(proc))) return false;
  if (proc.kind !== 'broadcast-node') return true;
  const view = await clusterView(processes);
  const node = view?.nodes?.find((n) => n.id === proc.env.NODE_ID);
  return node?.state === 'active';
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(check, timeoutMs, intervalMs = 250) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await sleep(intervalMs);
  }
}

/** `--name value` and `--flag` options after the positional arguments. */
function parseArgs(argv, known) {
  const positional = [];
  const options = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const key = arg.slice(2);
    if (!(key in known)) throw new Error(`unknown option ${arg}`);
    if (known[key] === 'flag') options[key] = true;
    else {
      const value = argv[(i += 1)];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      options[key] = value;
    }
  }
  return { positional, options };
}

/**
 * Runs a script: parses its arguments (`known` as for parseArgs, --help added), prints `usage` for
 * --help (exit 0), otherwise exits with what `main(positional, options)` resolves to, or with 2 and
 * one line on stderr when it throws.
 */
function runScript(name, usage, known, main) {
  const run = async () => {
    const { positional, options } = parseArgs(process.argv.slice(2), { ...known, help: 'flag' });
    if (options.help) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    return main(positional, options);
  };
  run().then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`${name}: ${error.message}\n`);
      process.exit(2);
    },
  );
}

function positiveInt(value, name) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  return n;
}

function log(message) {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

module.exports = {
  ECOSYSTEM,
  KIND_ORDER,
  ROOT,
  clusterView,
  adminUrl,
  isReady,
  isServing,
  liveImProcesses,
  log,
  parseArgs,
  pm2,
  positiveInt,
  runScript,
  sleep,
  waitUntil,
};
