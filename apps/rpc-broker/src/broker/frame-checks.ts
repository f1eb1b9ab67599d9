import { FrameError } from '@live-im/zmq-transport';

/** Control messages have a fixed frame count (routing id and header included). */
export function expectFrames(frames: readonly Buffer[], count: number): void {
  if (frames.length !== count)
    throw new FrameError(`expected ${count - 2} frames after the header, got ${frames.length - 2}`);
}
