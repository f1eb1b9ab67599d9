import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '@live-im/testing';

/** The host's state when a bench started: figures from a loaded host do not compare with a quiet one's. */
export interface HostLoad {
  /** The 1-minute load average at the start. */
  load: number;
  /** More than half the CPUs busy with other work: the run is not a measurement. */
  loaded: boolean;
}

export function hostLoadAtStart(): HostLoad {
  const load = loadavg()[0] ?? 0;
  return { load, loaded: load > cpus().length / 2 };
}

/** How a bench names the host in its start line: `2 CPUs, load 0.42` (and a warning when loaded). */
export function describeHost({ load, loaded }: HostLoad): string {
  return `${cpus().length} CPUs, load ${load.toFixed(2)}${loaded ? ' (LOADED: not a measurement)' : ''}`;
}

/**
 * Writes bench/results/<name>.json: the bench's figures, then what every result file carries
 * (the host's load at the start, when, and on what machine) so a reader can tell a quiet run from
 * a busy one without the log.
 */
export function writeResultsFile(name: string, figures: Record<string, unknown>, host: HostLoad): void {
  const dir = join(WORKSPACE_ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = {
    ...figures,
    host_load: Number(host.load.toFixed(3)),
    loaded: host.loaded,
    measured_at: new Date().toISOString(),
    machine: `${process.platform} ${process.arch}, ${cpus().length} CPUs, node ${process.version}`,
  };
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(file, null, 2)}\n`);
  process.stdout.write(`wrote bench/results/${name}.json\n`);
}
