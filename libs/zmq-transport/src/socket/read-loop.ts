import type { StructuredLogger } from './transport-logger';

/** A socket read whole messages at a time, as zeromq.js's sockets are. */
export interface MessageSocket {
  readonly closed: boolean;
  receive(): Promise<Buffer[]>;
}

/** What went wrong in a read loop, for its owner to log; reading goes on after either. */
export interface ReadFailures {
  /** `handle` threw for one message: a bug in it, not bad input (that `handle` counts itself). */
  handling(error: unknown): void;
  /** A receive failed while the loop was still meant to run. */
  receiving(error: unknown): void;
}

export interface ReadLoopOptions {
  /**
   * Take the next message only once the promise chains the last one started have run (the event
   * loop's check phase), not in the microtask right after `handle` returns. For a worker: its
   * handlers answer through promise chains several microtasks deep, while a message already
   * waiting would be read one microtask after `handle`, so a batch's replies would wait for the
   * next batch's handlers to start (decode, validate, enter Nest) and batches would travel the
   * hops bunched together instead of overlapping. Default false.
   */
  settleBetweenMessages?: boolean;
}

/**
 * The one reader of a ZeroMQ socket. It never throws: a bug in `handle` is reported and the next
 * message is read; a failed receive is reported and reading resumes on the next turn of the event
 * loop. It returns when the socket closes, or when a receive fails once `running()` is false.
 */
export async function readLoop(
  socket: MessageSocket,
  running: () => boolean,
  handle: (frames: Buffer[]) => void,
  failures: ReadFailures,
  options: ReadLoopOptions = {},
): Promise<void> {
  // receive() directly, not `for await` over the socket: zeromq.js's iterator wraps every
  // receive in an async function and a result object, a promise and a microtask more per message
  // on every hop of every call.
  // `running` is asked before the first read and after a failed one, never between two good
  // reads: a closing owner (a broadcast node draining its PULL) keeps reading until the socket closes.
  if (!running()) return;
  while (!socket.closed) {
    let frames: Buffer[];
    try {
      frames = await socket.receive();
    } catch (error) {
      // A socket closed under a pending receive rejects it (EAGAIN): the loop is over.
      if (!running() || socket.closed) return;
      failures.receiving(error);
      await new Promise((resolve) => setImmediate(resolve));
      continue;
    }
    try {
      handle(frames);
    } catch (error) {
      failures.handling(error);
    }
    if (options.settleBetweenMessages === true) await settled();
  }
}

/** Resolves in the event loop's check phase: after every microtask queued so far has run. */
function settled(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** ReadFailures logged as errors to a structured logger, naming the socket. */
export function logReadFailures(log: StructuredLogger, socket: string): ReadFailures {
  return {
    handling: (error) => log.error({ socket, err: error }, 'failed to handle a message'),
    receiving: (error) => log.error({ socket, err: error }, 'socket receive failed; reading on'),
  };
}
