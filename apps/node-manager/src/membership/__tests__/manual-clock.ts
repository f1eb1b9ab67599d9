/** Time that moves only when the test says so: monotonic ms for liveness, epoch ms for the topology. */
export class ManualClock {
  monotonic = 0;
  wall = 1_795_264_443_000;

  readonly now = (): number => this.monotonic;
  readonly wallNow = (): number => this.wall;

  advance(ms: number): void {
    this.monotonic += ms;
    this.wall += ms;
  }
}
