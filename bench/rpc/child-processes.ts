import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';

/** Calls made before measuring, so both sides are compiled and warm. */
export function warmupCalls(calls: number): number {
  return Math.min(10_000, Math.ceil(calls / 10));
}

/**
 * Forks a script of this folder and resolves once it says it is ready. A child that is not ready
 * within `timeoutMs` (a broker it cannot reach keeps it retrying) is killed and the start fails.
 */
export function forkReady(
  script: string,
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, script), [], { env: { ...process.env, ...env }, stdio: 'inherit' });
    const timer = setTimeout(() => {
      child.removeAllListeners('exit');
      child.kill('SIGKILL');
      reject(new Error(`${script} not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('message', () => {
      clearTimeout(timer);
      resolve(child);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}`));
    });
  });
}

/** SIGTERM, then SIGKILL if the child has not exited within `timeoutMs` (a close stuck on a broker). */
export async function stopChild(child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}
