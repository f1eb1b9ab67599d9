import { readFileSync } from 'node:fs';

/** Resident set size of a process now, in KB (VmRSS of /proc/<pid>/status; Linux). */
export function rssKb(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}

/**
 * Write system calls a process has made so far (`syscw` of /proc/<pid>/io: write, writev, send...
 * each counted once whatever it carries), the figure behind "write calls per viewer-second".
 */
export function writeCalls(pid: number): number {
  const match = /^syscw: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  if (!match) throw new Error(`no syscw for pid ${pid}`);
  return Number(match[1]);
}
