export interface SlowSocketLimits {
  /** Backlog bytes past which a socket is skipped for a normal batch. */
  slowSocketBytes: number;
  /** Backlog bytes past which a socket is disconnected rather than sent an important batch. */
  importantBacklogBytes: number;
}

/**
 * Flow control at the gateway's edge (slow consumers), on the bytes written to a socket that its
 * kernel has not taken yet: a socket that far behind misses normal batches (the client sees the
 * seq gap and may pull history) but is never skipped on the important lane; one that falls that
 * far behind on important is cut off, and recovers by reconnecting and joining with `resume`.
 */
export class SlowSocketPolicy {
  constructor(private readonly limits: SlowSocketLimits) {
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isInteger(value) || value < 1)
        throw new Error(`SlowSocketPolicy: ${name} must be a positive integer`);
    }
    if (limits.importantBacklogBytes < limits.slowSocketBytes)
      throw new Error('SlowSocketPolicy: importantBacklogBytes must be at least slowSocketBytes');
  }

  /**
   * A pass's thresholds, for socket/'s writeShared: a socket behind by more than `skipNormalAbove`
   * gets the pass without its normal batches, one behind by more than `cutAbove` is cut off (only
   * when the pass holds important batches; Infinity: never).
   */
  thresholdsFor(important: boolean, normal: boolean): { skipNormalAbove: number; cutAbove: number } {
    return {
      skipNormalAbove: normal ? this.limits.slowSocketBytes : Number.POSITIVE_INFINITY,
      cutAbove: important ? this.limits.importantBacklogBytes : Number.POSITIVE_INFINITY,
    };
  }
}
