import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { BROKER_PROBE, BrokerProbe } from './broker-probe';

/** How long the brokers get to answer a health PING. */
export const BROKER_HEALTH_TIMEOUT_MS = 1000;

/**
 * Readiness of the RPC links. A ZeroMQ connect() never fails, so the only real test is a PING
 * answered in time; one live broker is enough to serve, since calls move to the live ones.
 */
@Injectable()
export class ZmqHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(BROKER_PROBE) private readonly probe: BrokerProbe,
  ) {}

  async check(key = 'broker', timeoutMs = BROKER_HEALTH_TIMEOUT_MS): Promise<HealthIndicatorResult> {
    const indicator = this.health.check(key);
    try {
      const { live, total } = await this.probe.ping(timeoutMs);
      return live > 0 ? indicator.up({ live, total }) : indicator.down({ live, total });
    } catch (error) {
      return indicator.down({ message: error instanceof Error ? error.message : String(error) });
    }
  }
}
