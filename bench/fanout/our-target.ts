import { startOurSystem } from '../shared/our-system';
import { RunningTarget } from './plain-target';

/**
 * Our system as a target of bench/fanout: the built apps with one gateway (see our-system.ts).
 * Only the gateway is measured; the rest is reported, not counted.
 */
export interface OurTargetSettings {
  senders: number;
  /** Env overrides per app, printed by the bench (shipped defaults otherwise). */
  overrides: Partial<Record<string, Record<string, string>>>;
  /** Extra node flags per app (by app name), e.g. --cpu-prof to see where its CPU goes. */
  nodeArgs?: Partial<Record<string, string[]>>;
}

export async function startOurTarget(settings: OurTargetSettings): Promise<RunningTarget> {
  const system = await startOurSystem({
    label: 'fanout',
    gateways: 1,
    senders: settings.senders,
    overrides: settings.overrides,
    nodeArgs: settings.nodeArgs,
  });
  const gateway = system.gateways[0];
  return {
    target: {
      name: 'live-im gateway',
      flavor: 'ours',
      url: gateway.url,
      roomId: system.roomId,
      senderTokens: system.senderTokens,
      giftIds: system.giftIds,
      serverPid: gateway.pid,
      otherPids: system.otherPids,
      metricsUrls: { gateway: gateway.metricsUrl, ...system.otherMetricsUrls },
    },
    stop: system.stop,
  };
}
