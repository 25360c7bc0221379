/**
 * Baseline for the forwarding benchmark: the simplest possible SFU in Node.js — one UDP socket
 * that copies every packet it receives to every subscriber, with no RTP processing at all.
 * Driven over IPC: {op:'subscribe', ports} / {op:'cpu'} → {cpuMs}.
 */
import dgram from 'node:dgram';

const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
let destinations: number[] = [];
socket.on('message', (packet) => {
  for (const port of destinations) socket.send(packet, port, '127.0.0.1');
});
socket.bind(0, '127.0.0.1', () => process.send!({ port: socket.address().port }));

process.on('message', (message: { op: 'subscribe'; ports: number[] } | { op: 'cpu' } | { op: 'close' }) => {
  if (message.op === 'subscribe') {
    destinations = message.ports;
    process.send!({ ok: true });
  } else if (message.op === 'cpu') {
    const usage = process.cpuUsage();
    process.send!({ cpuMs: (usage.user + usage.system) / 1000 });
  } else {
    socket.close();
    process.exit(0);
  }
});
