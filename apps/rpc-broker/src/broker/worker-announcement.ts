import { FrameError } from '@live-im/zmq-transport';

/** The READY frame's JSON: who the worker is and how many requests it takes at once from this broker. */
export interface WorkerAnnouncement {
  service: string;
  instance: string;
  version: string;
  capacity: number;
  pid: number;
}

/** Service names as workers announce them; requests for any other name can never be served. */
export const SERVICE_NAME = /^[a-z][a-zA-Z0-9-]{0,63}$/;

export const MAX_CAPACITY = 10_000;
const MAX_LABEL_LENGTH = 255;

function isLabel(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_LABEL_LENGTH;
}

/** Parses and validates a READY frame; a bad one throws FrameError (the message is malformed). */
export function parseWorkerAnnouncement(frame: Buffer): WorkerAnnouncement {
  let value: unknown;
  try {
    value = JSON.parse(frame.toString('utf8'));
  } catch {
    throw new FrameError('READY is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FrameError('READY must be a JSON object');
  }
  const { service, instance, version, capacity, pid } = value as Record<string, unknown>;
  if (typeof service !== 'string' || !SERVICE_NAME.test(service)) throw new FrameError('READY: bad service');
  if (!isLabel(instance)) throw new FrameError('READY: bad instance');
  if (!isLabel(version)) throw new FrameError('READY: bad version');
  if (!Number.isInteger(capacity) || (capacity as number) < 1 || (capacity as number) > MAX_CAPACITY) {
    throw new FrameError('READY: capacity must be an integer 1..10000');
  }
  if (!Number.isInteger(pid) || (pid as number) < 0) throw new FrameError('READY: bad pid');
  return { service, instance, version, capacity: capacity as number, pid: pid as number };
}
