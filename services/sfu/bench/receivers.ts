/**
 * Receiving side of the forwarding benchmark, on its own thread so counting packets does not
 * compete with the sender. Messages: {op:'open', count} → {ports}; {op:'snapshot'} → {packets, bytes}.
 */
import dgram from 'node:dgram';
import { parentPort } from 'node:worker_threads';

const sockets: dgram.Socket[] = [];
let packets = 0;
let bytes = 0;

parentPort!.on(
  'message',
  async (message: { op: 'open'; count: number } | { op: 'snapshot' } | { op: 'close' }) => {
    if (message.op === 'open') {
      const ports: number[] = [];
      for (let i = 0; i < message.count; i++) {
        const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
        socket.on('message', (data) => {
          packets++;
          bytes += data.length;
        });
        await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
        sockets.push(socket);
        ports.push(socket.address().port);
      }
      parentPort!.postMessage({ ports });
    } else if (message.op === 'snapshot') {
      parentPort!.postMessage({ packets, bytes });
    } else {
      for (const socket of sockets) socket.close();
      parentPort!.close();
    }
  },
);
