/**
 * Receiving side of the benchmarks, on its own thread so counting packets does not compete
 * with the sender. Counts RTP only (the RTCP that mediasoup multiplexes on the same port is
 * skipped), in total and per socket.
 * Messages: {op:'open', count} → {ports}; {op:'snapshot'} → {packets, bytes, perSocket};
 * {op:'loop'} → {loop: this thread's event-loop utilization so far}.
 */
import dgram from 'node:dgram';
import { parentPort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';

const sockets: dgram.Socket[] = [];
const perSocket: number[] = [];
let packets = 0;
let bytes = 0;

// RTCP packet types 200–206 land on 72–78 once the marker bit is masked.
const isRtp = (b: Buffer) =>
  b.length >= 12 && b[0]! >> 6 === 2 && !((b[1]! & 0x7f) >= 72 && (b[1]! & 0x7f) <= 78);

parentPort!.on(
  'message',
  async (message: { op: 'open'; count: number } | { op: 'snapshot' } | { op: 'loop' } | { op: 'close' }) => {
    if (message.op === 'open') {
      const ports: number[] = [];
      for (let i = 0; i < message.count; i++) {
        const index = sockets.length;
        perSocket.push(0);
        const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
        socket.on('message', (data) => {
          if (!isRtp(data)) return;
          packets++;
          perSocket[index]!++;
          bytes += data.length;
        });
        await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
        sockets.push(socket);
        ports.push(socket.address().port);
      }
      parentPort!.postMessage({ ports });
    } else if (message.op === 'snapshot') {
      parentPort!.postMessage({ packets, bytes, perSocket });
    } else if (message.op === 'loop') {
      parentPort!.postMessage({ loop: performance.eventLoopUtilization() });
    } else {
      for (const socket of sockets) socket.close();
      parentPort!.close();
    }
  },
);
