import { Injectable } from '@nestjs/common';
import { freshMetricName } from '@live-im/health';
import { RpcError } from '@live-im/contracts';
import { Counter } from 'prom-client';

const PREFIX = 'user_service_';
const OK = 'OK';

/** The account operations counted, each a counter by result. */
export type AccountOperation = 'register' | 'login' | 'guest' | 'verifyToken';

const COUNTERS: Record<AccountOperation, [string, string]> = {
  register: ['registrations_total', 'Account registrations, by result (OK or the error code)'],
  login: [
    'logins_total',
    'Password logins, by result (OK or the error code, UNAUTHENTICATED for bad credentials)',
  ],
  guest: ['guest_sessions_total', 'Guest sessions issued, by result (OK or the error code)'],
  verifyToken: [
    'token_verifications_total',
    'Token verifications (one per handshake), by result (OK or the error code)',
  ],
};

/** user-service's account counters on prom-client's default registry (served at /metrics). */
@Injectable()
export class UserMetrics {
  private readonly counters = new Map<AccountOperation, Counter>();

  constructor() {
    for (const [operation, [name, help]] of Object.entries(COUNTERS) as Array<
      [AccountOperation, [string, string]]
    >) {
      const counter = new Counter({
        name: freshMetricName(`${PREFIX}${name}`),
        help,
        labelNames: ['result'],
      });
      // OK at 0 from the start, so a rate over it exists before the first success.
      counter.inc({ result: OK }, 0);
      this.counters.set(operation, counter);
    }
  }

  /** Counts `work`'s outcome under `operation` and passes it on unchanged. */
  async count<T>(operation: AccountOperation, work: Promise<T>): Promise<T> {
    const counter = this.counters.get(operation) as Counter;
    try {
      const result = await work;
      counter.inc({ result: OK });
      return result;
    } catch (error) {
      counter.inc({ result: RpcError.from(error).code });
      throw error;
    }
  }
}
