import { ChildProcess } from 'node:child_process';

/**
 * What every bench's main does alike: settings from `--name=value` flags or BENCH_<NAME> env vars
 * (the flag wins), and every child process it starts killed on any way out.
 */

/** A `--name=value` flag, else the BENCH_NAME env var, else undefined. */
export function rawSetting(name: string): string | undefined {
  const flag = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  return flag?.slice(name.length + 3) ?? process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
}

export function textSetting(name: string, fallback: string): string {
  const raw = rawSetting(name);
  return raw === undefined || raw === '' ? fallback : raw;
}

/** A number setting of at least `min` (a bad value stops the bench with one line). */
export function setting(name: string, fallback: number, min = 0): number {
  const raw = rawSetting(name);
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min)
    throw new Error(`--${name} must be a number of at least ${min}, got "${raw}"`);
  return value;
}

/**
 * Tracks every process a bench starts and kills those still running when the bench exits, by
 * any way (an error, Ctrl-C), so that no run leaves one behind. Returns the function to call with
 * each started process (a ChildProcess, or anything holding one as `child`).
 */
export function killChildrenOnExit(): (child: ChildProcess | { child: ChildProcess }) => void {
  const children = new Set<ChildProcess>();
  process.on('exit', () => {
    for (const child of children) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  return (child) => {
    const proc = child instanceof ChildProcess ? child : child.child;
    children.add(proc);
    proc.once('exit', () => children.delete(proc));
  };
}
