/**
 * Thin WebRTC receive-only clients for the WebRtcTransport benchmark, on their own thread.
 *
 * Each client is one UDP socket on 127.0.0.1 that does what a browser does before media
 * flows: an ICE connectivity check (STUN Binding request with USERNAME, PRIORITY,
 * ICE-CONTROLLING, USE-CANDIDATE, MESSAGE-INTEGRITY and FINGERPRINT; mediasoup is ICE-lite),
 * then a DTLS 1.2 handshake as the DTLS client with the use_srtp extension (werift-dtls,
 * pure TypeScript), from which the SRTP keys are exported. After that it only counts the SRTP
 * packets it receives (the RTP header is in clear), so the client side stays cheap; a sample
 * of the clients decrypts and authenticates its first packets to prove the stream is SRTP.
 *
 * Messages: {op:'init'} → {fingerprint}; {op:'connect', targets} → {connected, failed, ms};
 * {op:'snapshot'} → {packets, verified, verifyFailed}; {op:'close'}.
 */
import { createHash, createHmac, randomBytes, X509Certificate } from 'node:crypto';
import dgram from 'node:dgram';
import { parentPort } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import {
  CipherContext,
  DtlsClient,
  HashAlgorithm,
  NamedCurveAlgorithm,
  SignatureAlgorithm,
} from 'werift-dtls/lib/dtls/src/index.js';
import { ProtectionProfileAes128CmHmacSha1_80, SrtpSession } from 'werift-rtp';

export interface ClientTarget {
  /** mediasoup's ICE candidate (the worker's WebRtcServer port). */
  ip: string;
  port: number;
  usernameFragment: string;
  password: string;
}

const CONCURRENCY = 16;
const HANDSHAKE_TIMEOUT_MS = 15_000;
/** Every VERIFY_EVERY-th client decrypts its first VERIFY_PACKETS packets. */
const VERIFY_EVERY = 25;
const VERIFY_PACKETS = 5;

let cert: { certPem: string; keyPem: string } | undefined;
const sockets: dgram.Socket[] = [];
const dtlsClients: DtlsClient[] = [];
let packets = 0;
const perClient: number[] = [];
let verified = 0;
let verifyFailed = 0;

/** STUN Binding request for an ICE-lite server (RFC 8445 §7.2.2, RFC 5389). */
function bindingRequest(target: ClientTarget, localUfrag: string): Buffer {
  const attributes: Buffer[] = [];
  const attribute = (type: number, value: Buffer) => {
    const header = Buffer.alloc(4);
    header.writeUInt16BE(type, 0);
    header.writeUInt16BE(value.length, 2);
    const padding = Buffer.alloc((4 - (value.length % 4)) % 4);
    attributes.push(header, value, padding);
  };
  attribute(0x0006, Buffer.from(`${target.usernameFragment}:${localUfrag}`)); // USERNAME
  const priority = Buffer.alloc(4);
  priority.writeUInt32BE(0x6e7f1eff, 0);
  attribute(0x0024, priority); // PRIORITY
  attribute(0x802a, randomBytes(8)); // ICE-CONTROLLING (tie breaker)
  attribute(0x0025, Buffer.alloc(0)); // USE-CANDIDATE
  const header = Buffer.alloc(20);
  header.writeUInt16BE(0x0001, 0);
  header.writeUInt32BE(0x2112a442, 4);
  randomBytes(12).copy(header, 8);
  let body = Buffer.concat(attributes);
  // MESSAGE-INTEGRITY: HMAC-SHA1 over the message with the length already counting it.
  header.writeUInt16BE(body.length + 24, 2);
  const mac = createHmac('sha1', target.password).update(header).update(body).digest();
  const mi = Buffer.alloc(24);
  mi.writeUInt16BE(0x0008, 0);
  mi.writeUInt16BE(20, 2);
  mac.copy(mi, 4);
  body = Buffer.concat([body, mi]);
  // FINGERPRINT: CRC-32 of the message so far, XOR 0x5354554e.
  header.writeUInt16BE(body.length + 8, 2);
  const fp = Buffer.alloc(8);
  fp.writeUInt16BE(0x8028, 0);
  fp.writeUInt16BE(4, 2);
  fp.writeUInt32BE((crc32(Buffer.concat([header, body])) ^ 0x5354554e) >>> 0, 4);
  return Buffer.concat([header, body, fp]);
}

const isRtp = (b: Buffer) =>
  b.length >= 12 && b[0]! >> 6 === 2 && !((b[1]! & 0x7f) >= 72 && (b[1]! & 0x7f) <= 78);

async function connectOne(target: ClientTarget, index: number): Promise<void> {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 1024 * 1024 });
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  let onDtls: ((data: Buffer) => void) | undefined;
  let srtp: SrtpSession | undefined;
  let toVerify = index % VERIFY_EVERY === 0 ? VERIFY_PACKETS : 0;
  perClient[index] = 0;
  let stunAnswered: (() => void) | undefined;
  socket.on('message', (data) => {
    const first = data[0]!;
    if (first >= 128 && first <= 191) {
      if (!isRtp(data)) return;
      packets++;
      perClient[index]!++;
      if (toVerify > 0 && srtp) {
        toVerify--;
        try {
          srtp.decrypt(data);
          verified++;
        } catch {
          verifyFailed++;
        }
      }
    } else if (first >= 20 && first <= 63) onDtls?.(data);
    else if (first <= 3 && data.readUInt16BE(0) === 0x0101) stunAnswered?.();
  });
  const localUfrag = randomBytes(6).toString('hex');
  // ICE: repeat the check until the Binding success response arrives.
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(
      () => socket.send(bindingRequest(target, localUfrag), target.port, target.ip),
      200,
    );
    const timeout = setTimeout(() => {
      clearInterval(timer);
      reject(new Error('ICE timeout'));
    }, HANDSHAKE_TIMEOUT_MS);
    stunAnswered = () => {
      stunAnswered = undefined;
      clearInterval(timer);
      clearTimeout(timeout);
      resolve();
    };
    socket.send(bindingRequest(target, localUfrag), target.port, target.ip);
  });
  const address = socket.address();
  const transport = {
    type: 'udp',
    address,
    closed: false,
    onData: (_data: Buffer, _addr: unknown) => {},
    send: async (data: Buffer) => {
      socket.send(data, target.port, target.ip);
    },
    close: async () => {},
  };
  onDtls = (data) => transport.onData(data, [target.ip, target.port]);
  const client = new DtlsClient({
    transport: transport as never,
    cert: cert!.certPem,
    key: cert!.keyPem,
    signatureHash: { hash: HashAlgorithm.sha256_4, signature: SignatureAlgorithm.ecdsa_3 },
    srtpProfiles: [ProtectionProfileAes128CmHmacSha1_80],
    certificateRequest: true,
    extendedMasterSecret: true,
  });
  dtlsClients.push(client);
  await new Promise<void>((resolve, reject) => {
    const timeout = setTimeout(() => reject(new Error('DTLS timeout')), HANDSHAKE_TIMEOUT_MS);
    client.onConnect.once(() => {
      clearTimeout(timeout);
      resolve();
    });
    client.onError.once((error: Error) => {
      clearTimeout(timeout);
      reject(error);
    });
    client.connect().catch(reject);
  });
  // SRTP_AES128_CM_HMAC_SHA1_80: 16-byte master keys, 14-byte salts (RFC 5764 §4.2).
  const keys = client.extractSessionKeys(16, 14);
  srtp = new SrtpSession({
    keys: {
      localMasterKey: keys.localKey,
      localMasterSalt: keys.localSalt,
      remoteMasterKey: keys.remoteKey,
      remoteMasterSalt: keys.remoteSalt,
    },
    profile: ProtectionProfileAes128CmHmacSha1_80,
  });
}

let nextIndex = 0;

parentPort!.on(
  'message',
  async (
    message:
      | { op: 'init' }
      | { op: 'connect'; targets: ClientTarget[] }
      | { op: 'snapshot' }
      | { op: 'close' },
  ) => {
    if (message.op === 'init') {
      cert = await CipherContext.createSelfSignedCertificateWithKey(
        { hash: HashAlgorithm.sha256_4, signature: SignatureAlgorithm.ecdsa_3 },
        NamedCurveAlgorithm.secp256r1_23,
      );
      const der = new X509Certificate(cert.certPem).raw;
      const hex = createHash('sha256').update(der).digest('hex').toUpperCase();
      parentPort!.postMessage({ fingerprint: hex.match(/../g)!.join(':') });
    } else if (message.op === 'connect') {
      const started = performance.now();
      let connected = 0;
      let failed = 0;
      let firstError: string | undefined;
      const queue = message.targets.map((target) => ({ target, index: nextIndex++ }));
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let job = queue.shift(); job; job = queue.shift()) {
            try {
              await connectOne(job.target, job.index);
              connected++;
            } catch (error) {
              failed++;
              firstError ??= String(error);
            }
          }
        }),
      );
      parentPort!.postMessage({ connected, failed, firstError, ms: performance.now() - started });
    } else if (message.op === 'snapshot') {
      parentPort!.postMessage({ packets, verified, verifyFailed, perClient });
    } else {
      for (const client of dtlsClients) client.onData.allUnsubscribe?.();
      for (const socket of sockets) socket.close();
      parentPort!.close();
    }
  },
);
