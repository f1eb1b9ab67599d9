import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // Linux USER_HZ

export interface CpuSplit {
  userMs: number;
  systemMs: number;
}

/**
 * User and system CPU a process has used so far, from /proc (Linux). The split matters here: on
 * loopback the kernel's TCP work for every byte a server writes lands in the server's system time.
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
