import { RpcError } from '@live-im/contracts';
import { waitFor } from '@live-im/testing';
import type { RpcClient } from '@live-im/zmq-transport';

/** One call of a load run. */
export interface PlannedCall {
  pattern: string;
  payload: unknown;
  idempotent: boolean;
  timeoutMs: number;
}

export interface CallOutcome {
  call: PlannedCall;
  ok: boolean;
  /** The error code of a failed call. */
  code?: string;
  message?: string;
}

export interface LoadOptions {
  /** Calls kept in flight at once. */
  concurrency: number;
  /** Hard bound on calls issued, so a run that is never stopped still ends. */
  maxCalls: number;
}

/**
 * Keeps `concurrency` calls in flight through one client until stopped (or `maxCalls` were
 * issued), recording every outcome. `plan(i)` decides what the i-th call is.
 */
export class LoadRun {
  readonly outcomes: CallOutcome[] = [];
  private issued = 0;
  private stopped = false;
  /** Every lane ended because maxCalls were issued. */
  private finished = false;
  private readonly lanes: Promise<void>;

  constructor(
    private readonly client: RpcClient,
    private readonly plan: (i: number) => PlannedCall,
    options: LoadOptions,
  ) {
    this.lanes = Promise.all(
      Array.from({ length: options.concurrency }, () => this.lane(options.maxCalls)),
    ).then(() => undefined);
  }

  get completed(): number {
    return this.outcomes.length;
  }

  get failures(): CallOutcome[] {
    return this.outcomes.filter((o) => !o.ok);
  }

  /** Waits until `count` more calls completed than had when called. */
  async progress(count: number, timeoutMs = 30_000): Promise<void> {
    const target = this.completed + count;
    await waitFor(() => this.completed >= target || this.finished, {
      timeoutMs,
      intervalMs: 10,
      what: `${count} more calls to complete (at ${this.completed})`,
    });
    if (this.completed < target)
      throw new Error(`load ended after ${this.completed} calls, before ${target}`);
  }

  /** Stops issuing and waits for the calls in flight. */
  async stop(): Promise<CallOutcome[]> {
    this.stopped = true;
    await this.lanes;
    return this.outcomes;
  }

  private async lane(maxCalls: number): Promise<void> {
    while (!this.stopped && this.issued < maxCalls) {
      const call = this.plan(this.issued);
      this.issued += 1;
      try {
        await this.client.call(call.pattern, call.payload, {
          timeoutMs: call.timeoutMs,
          idempotent: call.idempotent,
        });
        this.outcomes.push({ call, ok: true });
      } catch (error) {
        const rpcError = RpcError.from(error);
        this.outcomes.push({ call, ok: false, code: rpcError.code, message: rpcError.message });
      }
    }
    if (this.issued >= maxCalls) this.finished = true;
  }
}

/** Failures grouped as `CODE pattern: count`, for an assertion message that says what went wrong. */
export function summarize(outcomes: readonly CallOutcome[]): Record<string, number> {
  const summary: Record<string, number> = {};
  for (const o of outcomes) {
    if (o.ok) continue;
    const key = `${o.code} ${o.call.pattern}`;
    summary[key] = (summary[key] ?? 0) + 1;
  }
  return summary;
}
