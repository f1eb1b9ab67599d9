import type { Socket } from 'node:net';
import { endianness } from 'node:os';

/**
 * The kernel send buffer of a client connection, bounded (SO_SNDBUF) so that what a client cannot
 * read piles up in user space (`net.Socket#writableLength`), where the slow-socket policy sees it,
 * instead of in a kernel queue no Node API reports. Without the bound Linux autotunes the buffer up
 * to net.ipv4.tcp_wmem's maximum (4 MiB by default) per connection: at 19,000 viewers that is
 * gigabytes nobody counts, and pings and important batches wait behind it.
 *
 * Node has no setsockopt for TCP, so libc's is called through koffi (an FFI with prebuilt
 * binaries for every common platform in its optional @koromix/koffi-* packages, so it needs no
 * compiler and no install script). Where it cannot load (another OS, a missing prebuilt) the bound
 * is off: one log line at boot and a gauge at 0 say so, and the gateway works as before.
 */

/** Linux's values (asm-generic/socket.h); the bound is only attempted on Linux. */
const SOL_SOCKET = 1;
const SO_SNDBUF = 7;

/** Below this Linux raises the buffer anyway (SOCK_MIN_SNDBUF is about 4.5 KiB). */
export const MIN_SEND_BUFFER_BYTES = 4096;

/** setsockopt takes the int in the host's byte order. */
const LITTLE_ENDIAN = endianness() === 'LE';

type SetSockOpt = (fd: number, level: number, name: number, value: Buffer, length: number) => number;

/** Whether the bound can be applied in this process, and if not why. */
export type SendBufferSupport = { ok: true } | { ok: false; reason: string };

let loaded: { setsockopt: SetSockOpt } | { error: string } | undefined;

function load(): { setsockopt: SetSockOpt } | { error: string } {
  if (loaded !== undefined) return loaded;
  if (process.platform !== 'linux') {
    loaded = { error: `setsockopt is only called on Linux, not ${process.platform}` };
    return loaded;
  }
  try {
    // Loaded on first use, not imported: a missing native binary must turn the bound off, not
    // stop the gateway from starting.
    const koffi = require('koffi') as typeof import('koffi');
    const libc = koffi.load('libc.so.6');
    const fn = libc.func('int setsockopt(int fd, int level, int name, const void *value, uint32_t length)');
    loaded = { setsockopt: fn as SetSockOpt };
  } catch (error) {
    loaded = { error: error instanceof Error ? error.message : String(error) };
  }
  return loaded;
}

export function sendBufferSupport(): SendBufferSupport {
  const state = load();
  return 'error' in state ? { ok: false, reason: state.error } : { ok: true };
}

/** The file descriptor under a connected TCP socket (libuv's handle keeps it on Unix). */
function fdOf(socket: Socket): number | undefined {
  const handle = (socket as unknown as { _handle?: { fd?: unknown } })._handle;
  const fd = handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * Sets the connection's SO_SNDBUF to `bytes` (Linux doubles it for its own bookkeeping, so the
 * queue holds roughly `bytes` of payload). False when the bound is off in this process or the
 * socket has no descriptor any more (closed meanwhile); the connection works either way.
 */
export function boundSendBuffer(socket: Socket, bytes: number): boolean {
  const state = load();
  if ('error' in state) return false;
  const fd = fdOf(socket);
  if (fd === undefined) return false;
  const value = Buffer.allocUnsafe(4);
  if (LITTLE_ENDIAN) value.writeInt32LE(bytes);
  else value.writeInt32BE(bytes);
  return state.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, value, 4) === 0;
}
