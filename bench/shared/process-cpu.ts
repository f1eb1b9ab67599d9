import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // Linux USER_HZ

export interface CpuSplit {
  userMs: number;
  systemMs: number;
}

/**
 * User and system CPU a process has used so far, from /proc (Linux). The split matters: on
 * loopback the kernel's TCP work for every byte a process writes lands in its system time.
 */
export function processCpu(pid: number): CpuSplit {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    userMs: (Number(fields[11]) * 1000) / TICKS_PER_SECOND,
    systemMs: (Number(fields[12]) * 1000) / TICKS_PER_SECOND,
  };
}

export function totalMs(cpu: CpuSplit): number {
  return cpu.userMs + cpu.systemMs;
}

/** CPU milliseconds (user + system) a process has used so far. */
export function processCpuMs(pid: number): number {
  return totalMs(processCpu(pid));
}

/** CPU time used by each named process between `start()` and the readings after it. */
export class CpuMeter {
  private readonly startCpu = new Map<string, CpuSplit>();

  constructor(private readonly pids: Record<string, number>) {}

  start(): void {
    for (const [name, pid] of Object.entries(this.pids)) this.startCpu.set(name, processCpu(pid));
  }

  /** User and system CPU milliseconds used since start(), per process. */
  usedSplit(): Record<string, CpuSplit> {
    const out: Record<string, CpuSplit> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      const now = processCpu(pid);
      const then = this.startCpu.get(name) ?? { userMs: 0, systemMs: 0 };
      out[name] = { userMs: now.userMs - then.userMs, systemMs: now.systemMs - then.systemMs };
    }
    return out;
  }

  /** CPU milliseconds used since start(), per process. */
  usedMs(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, split] of Object.entries(this.usedSplit())) out[name] = totalMs(split);
    return out;
  }

  /** Microseconds of CPU per unit of work (a call, a message), per process, to `decimals` places. */
  perCallUs(calls: number, decimals = 0): Record<string, number> {
    const scale = 10 ** decimals;
    const out: Record<string, number> = {};
    for (const [name, ms] of Object.entries(this.usedMs())) {
      out[name] = Math.round((ms * 1000 * scale) / calls) / scale;
    }
    return out;
  }
}
