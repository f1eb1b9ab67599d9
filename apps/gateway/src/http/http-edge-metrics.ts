import { freshMetricName } from '@live-im/health';
import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';

/** Which auth limit refused a request: the client address's rate, or an account's failed logins. */
export type AuthLimit = 'address' | 'account';

/** What the public HTTP edge refuses, on the default registry. */
@Injectable()
export class HttpEdgeMetrics {
  private readonly errors = new Counter({
    name: freshMetricName('gateway_http_errors_total'),
    help: 'HTTP API requests answered with an error, by contract code (PAYLOAD_TOO_LARGE and INVALID_ARGUMENT include bodies the parser refused)',
    labelNames: ['code'],
  });
  private readonly authLimited = new Counter({
    name: freshMetricName('gateway_auth_limited_total'),
    help: 'Auth requests refused RATE_LIMITED, by limit: per client address, or per account after failed logins',
    labelNames: ['limit'],
  });

  constructor() {
    for (const limit of ['address', 'account'] satisfies AuthLimit[]) this.authLimited.inc({ limit }, 0);
  }

  error(code: string): void {
    this.errors.inc({ code });
  }

  limited(limit: AuthLimit): void {
    this.authLimited.inc({ limit });
  }
}
