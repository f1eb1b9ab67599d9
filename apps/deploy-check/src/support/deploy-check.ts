import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '@live-im/testing';

export const K8S_DIR = join(WORKSPACE_ROOT, 'deploy/k8s');
const CHECKER = join(K8S_DIR, 'check.mjs');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command from the workspace root to its end; a non-zero exit is a result, not a throw.
 * `env` is added to this process's environment.
 */
export function run(
  command: string,
  args: string[],
  timeoutMs = 60_000,
  env: Record<string, string> = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const options = { cwd: WORKSPACE_ROOT, timeout: timeoutMs, env: { ...process.env, ...env } };
    execFile(command, args, options, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface Problem {
  resource: string;
  rule: string;
  message: string;
}

export interface HttpGet {
  resource: string;
  container: string | null;
  use: 'startupProbe' | 'livenessProbe' | 'readinessProbe' | 'prometheus';
  path: string;
  port: string | number;
}

/** One declared port of one workload and what its NetworkPolicies open it to. */
export interface IngressRow {
  workload: string;
  app: string;
  port: string;
  /** App names, `anyone`, `monitoring` (Prometheus), or a description of a wider source. */
  allowed: string[];
}

export interface OverlayReport {
  overlay: string;
  dir: string;
  resources: { apiVersion: string; kind: string; name: string; namespace?: string }[];
  counts: Record<string, number>;
  httpGets: HttpGet[];
  ingress: IngressRow[];
  problems: Problem[];
}

export interface CheckReport {
  ok: boolean;
  problems: number;
  servedPaths: string[];
  probePaths: Record<'startupProbe' | 'livenessProbe' | 'readinessProbe', string>;
  overlays: OverlayReport[];
}

/** `node deploy/k8s/check.mjs --json [dirs]` as a child process: its exit code and its report. */
export async function runChecker(
  overlayDirs: string[] = [],
): Promise<{ code: number; report: CheckReport; stderr: string }> {
  const result = await run(process.execPath, [CHECKER, '--json', ...overlayDirs]);
  let report: CheckReport;
  try {
    report = JSON.parse(result.stdout) as CheckReport;
  } catch {
    throw new Error(
      `check.mjs printed no JSON report (exit ${result.code}): ${result.stderr || result.stdout}`,
    );
  }
  return { code: result.code, report, stderr: result.stderr };
}

export function names(report: OverlayReport, kind: string): string[] {
  return report.resources
    .filter((r) => r.kind === kind)
    .map((r) => r.name)
    .sort();
}
