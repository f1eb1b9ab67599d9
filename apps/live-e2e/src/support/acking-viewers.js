'use strict';
// A child process of a live-e2e spec holding many lean anonymous viewers: raw Socket.IO clients that
// join one room and ack every requireAck message of their important batches, keeping only counts.
// Plain JavaScript so that it runs from the source tree without a build. Protocol over the IPC
// channel: the parent sends {urls, roomId, count}; the child answers {joined} once all joined (or
// {error}), then {acked, seen} for each {report}; {acking: false} stops acking (messages are only
// counted in `seen`), {close} disconnects everything and exits.
const { io } = require('socket.io-client');

/** Handshakes in flight at once. */
const CONNECT_CONCURRENCY = 50;
const JOIN_TIMEOUT_MS = 60_000;

const sockets = [];
let acked = 0;
let acking = true;
/** requireAck messages received while not acking. */
let seen = 0;

function viewer(url, roomId) {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  sockets.push(socket);
  socket.on('batch', (info, body) => {
    if (info.lane !== 'important') return;
    for (const message of JSON.parse(body)) {
      if (!message.requireAck) continue;
      if (!acking) {
        seen += 1;
        continue;
      }
      socket.emit('ack', { messageId: message.id }, () => {
        acked += 1;
      });
    }
  });
  return new Promise((resolve, reject) => {
    socket.once('connect_error', reject);
    socket.once('connect', () => {
      socket
        .timeout(JOIN_TIMEOUT_MS)
        .emitWithAck('join', { roomId })
        .then((reply) => (reply.ok ? resolve() : reject(new Error(`join refused: ${JSON.stringify(reply)}`))))
        .catch(reject);
    });
  });
}

async function start({ urls, roomId, count }) {
  for (let first = 0; first < count; first += CONNECT_CONCURRENCY) {
    const wave = [];
    for (let i = first; i < Math.min(count, first + CONNECT_CONCURRENCY); i += 1) {
      wave.push(viewer(urls[i % urls.length], roomId));
    }
    await Promise.all(wave);
  }
  return sockets.length;
}

process.on('message', (command) => {
  if (command.urls !== undefined) {
    start(command).then(
      (joined) => process.send({ joined }),
      (error) => process.send({ error: error instanceof Error ? error.message : String(error) }),
    );
  } else if (command.report) {
    process.send({ acked, seen });
  } else if (command.acking !== undefined) {
    acking = command.acking;
  } else if (command.close) {
    for (const socket of sockets) socket.disconnect();
    process.exit(0);
  }
});
// The parent went away: nothing left to do.
process.on('disconnect', () => process.exit(0));
