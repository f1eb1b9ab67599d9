import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // Linux USER_HZ

/** CPU milliseconds (user + system) a process has used so far, from /proc (Linux). */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}

/** CPU time used by each named process between `start()` and `stop()`. */
export class CpuMeter {
  private readonly startMs = new Map<string, number>();

  constructor(private readonly pids: Record<string, number>) {}

  start(): void {
    for (const [name, pid] of Object.entries(this.pids)) this.startMs.set(name, processCpuMs(pid));
  }

  /** Microseconds of CPU per call, per process. */
  perCallUs(calls: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      out[name] = Math.round(((processCpuMs(pid) - (this.startMs.get(name) ?? 0)) * 1000) / calls);
    }
    return out;
  }
}
