import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Every process a test run spawns carries this variable, set to the run's id, in its environment
 * (inherited from process.env, or passed on by AppProcess), so the run's end can find any a spec
 * left behind, detached ones included (Chromium, a pm2 daemon).
 */
export const TEST_RUN_ENV = 'LIVE_IM_TEST_RUN';

/** Gives this run an id of its own in process.env, which every child then inherits. */
export function markTestRun(): string {
  const id = `${process.pid}-${randomBytes(4).toString('hex')}`;
  process.env[TEST_RUN_ENV] = id;
  return id;
}

/** The run's marker, for a child spawned with an environment built from scratch. */
export function testRunEnv(): Record<string, string> {
  const id = process.env[TEST_RUN_ENV];
  return id ? { [TEST_RUN_ENV]: id } : {};
}

export interface RunProcess {
  pid: number;
  command: string;
}

/** The live processes whose environment carries run `id` (Linux /proc; none elsewhere). */
export function processesOfRun(id: string): RunProcess[] {
  const marker = `\0${TEST_RUN_ENV}=${id}\0`;
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const found: RunProcess[] = [];
  for (const name of entries) {
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      // A zombie or a process of another user reads as empty or throws: neither is ours to stop.
      if (!`\0${readFileSync(`/proc/${pid}/environ`, 'latin1')}`.includes(marker)) continue;
      const command = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
      found.push({ pid, command: command.length > 120 ? `${command.slice(0, 117)}...` : command });
    } catch {
      continue;
    }
  }
  return found;
}

/** SIGKILLs every process of run `id` and waits (up to 5 s) until none is left; returns them. */
export async function killProcessesOfRun(id: string): Promise<RunProcess[]> {
  const leftovers = processesOfRun(id);
  for (const { pid } of leftovers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone between the listing and the kill.
    }
  }
  const deadline = Date.now() + 5_000;
  while (processesOfRun(id).length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return leftovers;
}
