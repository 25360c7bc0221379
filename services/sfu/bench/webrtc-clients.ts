/**
 * Thin WebRTC receive-only clients for the WebRtcTransport benchmark, on their own thread.
 *
 * Each client is one UDP socket on 127.0.0.1 that does what a browser does before media
 * flows: an ICE connectivity check (STUN Binding request with USERNAME, PRIORITY,
 * ICE-CONTROLLING, USE-CANDIDATE, MESSAGE-INTEGRITY and FINGERPRINT; mediasoup is ICE-lite),
 * then a DTLS 1.2 handshake as the DTLS client with the use_srtp extension offering one SRTP
 * suite (werift-dtls, pure TypeScript), from which the SRTP keys are exported. After that it
 * counts the SRTP packets it receives (the RTP header is in clear), so the client side stays
 * cheap; a sample of the clients decrypts and authenticates its first packets to prove the
 * stream is SRTP.
 *
 * Like a browser, every client repeats its ICE check every 5 s (consent freshness, RFC 7675),
 * without which the worker stops sending to it after 30 s.
 *
 * With feedback on, each client also sends, SRTCP-protected, what a browser sends back
 * (rtcp-feedback.ts): transport-wide congestion control feedback every 100 ms, a receiver
 * report every second (with a REMB when the consumers negotiated goog-remb instead of
 * transport-cc), a NACK for a share of the video packets (as if they were lost; the
 * SFU's retransmissions arrive on the RTX stream and are counted apart), and a PLI now and
 * then. So the worker runs its congestion control, retransmission and RTCP paths too.
 *
 * Messages: {op:'init', options} → {fingerprint}; {op:'connect', targets} → {connected,
 * failed, ms}; {op:'snapshot'} → {packets, retransmitted, feedbackSent, verified,
 * verifyFailed}; {op:'loop'} → {loop: this thread's event-loop utilization}; {op:'close'}.
 */
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import dgram from 'node:dgram';
import { parentPort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import {
  CipherContext,
  DtlsClient,
  HashAlgorithm,
  NamedCurveAlgorithm,
  SignatureAlgorithm,
} from 'werift-dtls/lib/dtls/src/index.js';
import {
  ProtectionProfileAeadAes128Gcm,
  ProtectionProfileAes128CmHmacSha1_80,
  SrtcpSession,
  SrtpSession,
} from 'werift-rtp';
import {
  nack,
  pictureLossIndication,
  ReceiveStats,
  receiverReport,
  remb,
  TransportFeedback,
} from './rtcp-feedback.ts';
import { bindingRequest } from './stun.ts';

export interface ClientTarget {
  /** mediasoup's ICE candidate (the worker's WebRtcServer port). */
  ip: string;
  port: number;
  usernameFragment: string;
  password: string;
  /** The consumers' SSRCs on this transport, from their RTP parameters. */
  videoSsrc: number;
  videoRtxSsrc?: number;
  audioSsrc: number;
  /** The transport-wide-cc header extension's id, when the consumers negotiated it. */
  transportCcId?: number;
}

/** The SRTP protection profile the clients offer, which the worker then has to use. */
export type SrtpSuite = 'AES_CM_128_HMAC_SHA1_80' | 'AEAD_AES_128_GCM';

export interface FeedbackOptions {
  /** Share of video packets each client treats as lost and NACKs. */
  nackShare: number;
  /** Each client sends a PLI this often. */
  pliIntervalMs: number;
  /**
   * How the client tells the SFU what it can receive: transport-wide feedback (the SFU
   * estimates) or, as a receiver that negotiated goog-remb only, REMB (the client estimates).
   */
  downlinkEstimate: 'transport-cc' | 'remb';
}

export interface ClientOptions {
  suite: SrtpSuite;
  /** Undefined: the clients send no RTCP at all. */
  feedback?: FeedbackOptions;
}

const SUITES = {
  AES_CM_128_HMAC_SHA1_80: { profile: ProtectionProfileAes128CmHmacSha1_80, keyLength: 16, saltLength: 14 },
  AEAD_AES_128_GCM: { profile: ProtectionProfileAeadAes128Gcm, keyLength: 16, saltLength: 12 },
} as const;

const CONCURRENCY = 16;
const HANDSHAKE_TIMEOUT_MS = 15_000;
/** Every VERIFY_EVERY-th client decrypts its first VERIFY_PACKETS packets. */
const VERIFY_EVERY = 25;
const VERIFY_PACKETS = 5;
/** libwebrtc sends transport-wide feedback about every 100 ms, receiver reports every second. */
const TRANSPORT_FEEDBACK_MS = 100;
const RECEIVER_REPORT_MS = 1000;
const TICK_MS = 20;
/** What a REMB client reports it can receive: comfortably above the 1 Mbps mix. */
const REMB_BPS = 3_000_000;

let options: ClientOptions = { suite: 'AES_CM_128_HMAC_SHA1_80' };
let cert: { certPem: string; keyPem: string } | undefined;
const sockets: dgram.Socket[] = [];
const dtlsClients: DtlsClient[] = [];
let packets = 0;
let retransmitted = 0;
let feedbackSent = 0;
const perClient: number[] = [];
let verified = 0;
let verifyFailed = 0;

/** The RTCP side of one client: what it has seen, and when each kind of feedback is due. */
class FeedbackState {
  readonly ssrc = randomBytes(4).readUInt32BE(0);
  readonly video: ReceiveStats;
  readonly audio: ReceiveStats;
  readonly transport: TransportFeedback;
  nextFeedback: number;
  nextReport: number;
  nextPli: number;
  readonly target: ClientTarget;
  readonly send: (rtcp: Buffer) => void;

  constructor(
    target: ClientTarget,
    send: (rtcp: Buffer) => void,
    index: number,
    now: number,
    pliIntervalMs: number,
  ) {
    this.target = target;
    this.send = send;
    this.video = new ReceiveStats(target.videoSsrc);
    this.audio = new ReceiveStats(target.audioSsrc);
    this.transport = new TransportFeedback(this.ssrc, target.videoSsrc);
    // Staggered, as independent browsers would be.
    this.nextFeedback = now + (index % 5) * TICK_MS;
    this.nextReport = now + (index % 50) * TICK_MS;
    this.nextPli = now + ((index * 97) % pliIntervalMs);
  }
}

const feedbackStates: FeedbackState[] = [];
/** ICE consent freshness (RFC 7675): a connected browser repeats its check every ~5 s. */
const CONSENT_MS = 5000;
const consents: { next: number; send: () => void }[] = [];
let tick: NodeJS.Timeout | undefined;

function sendDue(): void {
  const now = performance.now();
  for (const consent of consents) {
    if (now >= consent.next) {
      consent.next += CONSENT_MS;
      consent.send();
    }
  }
  if (!options.feedback) return;
  const pliInterval = options.feedback.pliIntervalMs;
  for (const state of feedbackStates) {
    if (now >= state.nextFeedback) {
      state.nextFeedback += TRANSPORT_FEEDBACK_MS;
      const packet = state.transport.feedback();
      if (packet) state.send(packet);
    }
    if (now >= state.nextReport) {
      state.nextReport += RECEIVER_REPORT_MS;
      state.send(receiverReport(state.ssrc, [state.video, state.audio]));
      if (options.feedback.downlinkEstimate === 'remb')
        state.send(remb(state.ssrc, REMB_BPS, [state.target.videoSsrc, state.target.audioSsrc]));
    }
    if (now >= state.nextPli) {
      state.nextPli += pliInterval;
      state.send(pictureLossIndication(state.ssrc, state.target.videoSsrc));
    }
  }
}

/** The transport-wide sequence number in a one-byte-header extension block (RFC 8285), if any. */
function transportSequence(data: Buffer, id: number): number | undefined {
  if (!(data[0]! & 0x10)) return undefined;
  let offset = 12 + 4 * (data[0]! & 0x0f);
  if (data.readUInt16BE(offset) !== 0xbede) return undefined;
  const end = offset + 4 + 4 * data.readUInt16BE(offset + 2);
  offset += 4;
  while (offset < end) {
    const byte = data[offset]!;
    if (byte === 0) {
      offset++;
      continue;
    }
    const length = (byte & 0x0f) + 1;
    if (byte >> 4 === id) return data.readUInt16BE(offset + 1);
    offset += 1 + length;
  }
  return undefined;
}

const isRtp = (b: Buffer) =>
  b.length >= 12 && b[0]! >> 6 === 2 && !((b[1]! & 0x7f) >= 72 && (b[1]! & 0x7f) <= 78);

async function connectOne(target: ClientTarget, index: number): Promise<void> {
  const suite = SUITES[options.suite];
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 1024 * 1024 });
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  let onDtls: ((data: Buffer) => void) | undefined;
  let srtp: SrtpSession | undefined;
  let toVerify = index % VERIFY_EVERY === 0 ? VERIFY_PACKETS : 0;
  perClient[index] = 0;
  let stunAnswered: (() => void) | undefined;
  // Set once the DTLS handshake is done and feedback is on.
  let feedback: FeedbackState | undefined;
  const nackShare = options.feedback?.nackShare ?? 0;
  socket.on('message', (data) => {
    const first = data[0]!;
    if (first >= 128 && first <= 191) {
      if (!isRtp(data)) return;
      const ssrc = data.readUInt32BE(8);
      if (feedback && target.transportCcId !== undefined) {
        const transportSeq = transportSequence(data, target.transportCcId);
        if (transportSeq !== undefined) feedback.transport.add(transportSeq, performance.now() * 1000);
      }
      if (ssrc === target.videoRtxSsrc) {
        retransmitted++;
        return;
      }
      packets++;
      perClient[index]!++;
      if (feedback) {
        const sequenceNumber = data.readUInt16BE(2);
        if (ssrc === target.videoSsrc) {
          feedback.video.add(sequenceNumber);
          if (nackShare > 0 && Math.random() < nackShare)
            feedback.send(nack(feedback.ssrc, ssrc, sequenceNumber));
        } else feedback.audio.add(sequenceNumber);
      }
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
  consents.push({
    next: performance.now() + CONSENT_MS,
    send: () => socket.send(bindingRequest(target, localUfrag), target.port, target.ip),
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
    srtpProfiles: [suite.profile],
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
  // Master key and salt lengths of the suite (RFC 5764 §4.2, RFC 7714 §12).
  const keys = client.extractSessionKeys(suite.keyLength, suite.saltLength);
  const config = {
    keys: {
      localMasterKey: keys.localKey,
      localMasterSalt: keys.localSalt,
      remoteMasterKey: keys.remoteKey,
      remoteMasterSalt: keys.remoteSalt,
    },
    profile: suite.profile,
  };
  srtp = new SrtpSession(config);
  if (options.feedback) {
    const srtcp = new SrtcpSession(config);
    const send = (rtcp: Buffer) => {
      feedbackSent++;
      socket.send(srtcp.encrypt(rtcp), target.port, target.ip);
    };
    feedback = new FeedbackState(target, send, index, performance.now(), options.feedback.pliIntervalMs);
    feedbackStates.push(feedback);
  }
}

let nextIndex = 0;

parentPort!.on(
  'message',
  async (
    message:
      | { op: 'init'; options: ClientOptions }
      | { op: 'connect'; targets: ClientTarget[] }
      | { op: 'snapshot' }
      | { op: 'loop' }
      | { op: 'close' },
  ) => {
    if (message.op === 'init') {
      options = message.options;
      tick = setInterval(sendDue, TICK_MS);
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
    } else if (message.op === 'loop') {
      parentPort!.postMessage({ loop: performance.eventLoopUtilization() });
    } else if (message.op === 'snapshot') {
      parentPort!.postMessage({ packets, retransmitted, feedbackSent, verified, verifyFailed, perClient });
    } else {
      clearInterval(tick);
      for (const client of dtlsClients) client.onData.allUnsubscribe?.();
      for (const socket of sockets) socket.close();
      parentPort!.close();
    }
  },
);
