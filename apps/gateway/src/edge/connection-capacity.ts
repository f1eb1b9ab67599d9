import { type ReadinessIndicator } from '@live-im/health';
import { Injectable } from '@nestjs/common';
import { type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { GatewayConfig } from '../config';
import type { GatewayLogger } from '../gateway.tokens';
import { ConnectionLedger, connectionLimit, readOpenFilesLimit } from './connection-limits';

/** The gateway's one ConnectionLedger: its limit from MAX_CONNECTIONS or the open-files limit, logged at boot. */
export function createConnectionLedger(
  config: Pick<GatewayConfig, 'MAX_CONNECTIONS' | 'MAX_CONNECTIONS_PER_IP'>,
  log: GatewayLogger,
): ConnectionLedger {
  const limit = connectionLimit(config.MAX_CONNECTIONS, readOpenFilesLimit());
  const ledger = new ConnectionLedger(limit.max, config.MAX_CONNECTIONS_PER_IP);
  const fields = { maxConnections: limit.max, readyAgainAt: ledger.readyAgainAt, source: limit.source };
  if (limit.source === 'fallback') log.warn(fields, 'open-files limit unreadable; connection limit fallback');
  else log.info(fields, 'connection limit');
  return ledger;
}

/**
 * /health/ready's view of the connection limit: down from the moment the gateway is full until it
 * is back to its low-water mark, so a load balancer sends new clients to another gateway instead of
 * to a refusal. The connections it holds are served all the while (liveness is not affected).
 */
@Injectable()
export class ConnectionCapacityIndicator implements ReadinessIndicator {
  constructor(
    private readonly ledger: ConnectionLedger,
    private readonly indicators: HealthIndicatorService,
  ) {}

  check(): Promise<HealthIndicatorResult> {
    const session = this.indicators.check('connections');
    const { ledger } = this;
    const fields = { open: ledger.open, maxConnections: ledger.maxConnections };
    return Promise.resolve(
      ledger.accepting
        ? session.up(fields)
        : session.down({ ...fields, readyAgainAt: ledger.readyAgainAt, message: 'full' }),
    );
  }
}
