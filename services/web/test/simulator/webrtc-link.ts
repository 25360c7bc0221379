/**
 * A thin WebRTC endpoint in Node for one mediasoup WebRtcTransport: one UDP socket on loopback
 * doing what a browser does. ICE: STUN Binding requests with USE-CANDIDATE until answered
 * (mediasoup is ICE-lite), repeated every 5 s for consent freshness. DTLS 1.2 as the client
 * with use_srtp (werift-dtls), then SRTP and SRTCP (werift-rtp). Sending: sender reports every
 * second, and picture-loss or full-intra requests from the SFU handed to `onKeyFrameRequest`.
 * Receiving: every RTP packet, SRTP-decrypted, handed to `onRtp`; or, with `decryptRtp` off,
 * as it arrived (header in clear, payload still encrypted): a receiver that only counts has no
 * use for the payload, and authenticating each packet costs the receiving process more than
 * the SFU spends sending it.
 */
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import dgram from 'node:dgram';
import {
  CipherContext,
  DtlsClient,
  HashAlgorithm,
  NamedCurveAlgorithm,
  SignatureAlgorithm,
} from 'werift-dtls/lib/dtls/src/index.js';
import { ProtectionProfileAes128CmHmacSha1_80, RtpHeader, SrtcpSession, SrtpSession } from 'werift-rtp';
import { bindingRequest, type IceTarget, isBindingSuccess } from '../../../sfu/bench/stun.ts';

/** A DTLS certificate and its SHA-256 fingerprint, as the SFU is told it. */
export interface DtlsCertificate {
  certPem: string;
  keyPem: string;
  fingerprint: string;
}

const SIGNATURE = { hash: HashAlgorithm.sha256_4, signature: SignatureAlgorithm.ecdsa_3 };
const HANDSHAKE_TIMEOUT_MS = 15_000;
const CONSENT_MS = 5000;
const REPORT_MS = 1000;

export async function createCertificate(): Promise<DtlsCertificate> {
  const cert = await CipherContext.createSelfSignedCertificateWithKey(
    SIGNATURE,
    NamedCurveAlgorithm.secp256r1_23,
  );
  const der = new X509Certificate(cert.certPem).raw;
  const hex = createHash('sha256').update(der).digest('hex').toUpperCase();
  return { certPem: cert.certPem, keyPem: cert.keyPem, fingerprint: hex.match(/../g)!.join(':') };
}

export interface SenderTarget extends IceTarget {
  /** mediasoup's UDP candidate. */
  ip: string;
  port: number;
}

/** One RTP packet to send; the payload is already what goes on the wire (SFrame included). */
export interface RtpOut {
  payloadType: number;
  ssrc: number;
  sequenceNumber: number;
  timestamp: number;
  marker: boolean;
  /** One-byte header extensions (RFC 8285). */
  extensions?: { id: number; payload: Buffer }[];
  payload: Uint8Array;
}

interface StreamCount {
  packets: number;
  octets: number;
  timestamp: number;
  at: number;
}

export class WebRtcLink {
  readonly #socket: dgram.Socket;
  readonly #target: SenderTarget;
  readonly #dtls: DtlsClient;
  readonly #srtp: SrtpSession;
  readonly #srtcp: SrtcpSession;
  readonly #timers: NodeJS.Timeout[] = [];
  /** Per SSRC: what went out, for the sender reports. */
  readonly #sent = new Map<number, StreamCount & { clockRate: number }>();
  /** The SFU asked for a key frame on this SSRC (PLI or FIR). */
  onKeyFrameRequest: (ssrc: number) => void = () => {};
  /** An RTP packet arrived (decrypted: header and payload in clear, unless `decryptRtp` is off). */
  onRtp: (packet: Buffer) => void = () => {};
  /** Off: RTP is handed to `onRtp` as it arrived, neither authenticated nor decrypted. */
  decryptRtp = true;
  packetsSent = 0;
  packetsReceived = 0;
  keyFrameRequests = 0;
  #closed = false;

  private constructor(
    socket: dgram.Socket,
    target: SenderTarget,
    dtls: DtlsClient,
    keys: ReturnType<DtlsClient['extractSessionKeys']>,
  ) {
    this.#socket = socket;
    this.#target = target;
    this.#dtls = dtls;
    const config = {
      keys: {
        localMasterKey: keys.localKey,
        localMasterSalt: keys.localSalt,
        remoteMasterKey: keys.remoteKey,
        remoteMasterSalt: keys.remoteSalt,
      },
      profile: ProtectionProfileAes128CmHmacSha1_80,
    };
    this.#srtp = new SrtpSession(config);
    this.#srtcp = new SrtcpSession(config);
    this.#timers.push(setInterval(() => this.#senderReports(), REPORT_MS));
  }

  /** ICE, then DTLS as the client with `cert` (whose fingerprint the SFU was given). */
  static async connect(target: SenderTarget, cert: DtlsCertificate): Promise<WebRtcLink> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    let onDtls: (data: Buffer) => void = () => {};
    let onStun: () => void = () => {};
    let onRtcp: (data: Buffer) => void = () => {};
    socket.on('message', (data) => {
      const first = data[0]!;
      if (first >= 128 && first <= 191) onRtcp(data);
      else if (first >= 20 && first <= 63) onDtls(data);
      else if (isBindingSuccess(data)) onStun();
    });
    const localUfrag = randomBytes(6).toString('hex');
    const check = () => socket.send(bindingRequest(target, localUfrag), target.port, target.ip);
    const fail = (error: unknown) => {
      socket.close();
      throw error;
    };
    await bounded('ICE', (resolve) => {
      const retry = setInterval(check, 200);
      onStun = () => {
        clearInterval(retry);
        onStun = () => {};
        resolve();
      };
      check();
      return () => clearInterval(retry);
    }).catch(fail);
    const transport = {
      type: 'udp',
      address: socket.address(),
      closed: false,
      onData: (_data: Buffer, _address: unknown) => {},
      send: async (data: Buffer) => socket.send(data, target.port, target.ip),
      close: async () => {},
    };
    onDtls = (data) => transport.onData(data, [target.ip, target.port]);
    const dtls = new DtlsClient({
      transport: transport as never,
      cert: cert.certPem,
      key: cert.keyPem,
      signatureHash: SIGNATURE,
      srtpProfiles: [ProtectionProfileAes128CmHmacSha1_80],
      certificateRequest: true,
      extendedMasterSecret: true,
    });
    await bounded('DTLS', (resolve, reject) => {
      dtls.onConnect.once(() => resolve());
      dtls.onError.once((error: Error) => reject(error));
      dtls.connect().catch(reject);
      return () => {};
    }).catch(fail);
    // AES_CM_128_HMAC_SHA1_80: 16-byte master key, 14-byte salt (RFC 5764 §4.2).
    const link = new WebRtcLink(socket, target, dtls, dtls.extractSessionKeys(16, 14));
    onRtcp = (data) => link.#receive(data);
    link.#timers.push(setInterval(check, CONSENT_MS));
    return link;
  }

  send(packet: RtpOut, clockRate: number): void {
    if (this.#closed) return;
    const header = new RtpHeader({
      payloadType: packet.payloadType,
      sequenceNumber: packet.sequenceNumber & 0xffff,
      timestamp: packet.timestamp >>> 0,
      ssrc: packet.ssrc,
      marker: packet.marker,
      ...(packet.extensions?.length ? { extensionProfile: 0xbede, extensions: packet.extensions } : {}),
    });
    this.#socket.send(
      this.#srtp.encrypt(Buffer.from(packet.payload), header),
      this.#target.port,
      this.#target.ip,
    );
    this.packetsSent++;
    const count = this.#sent.get(packet.ssrc) ?? { packets: 0, octets: 0, timestamp: 0, at: 0, clockRate };
    count.packets++;
    count.octets += packet.payload.length;
    count.timestamp = packet.timestamp >>> 0;
    count.at = Date.now();
    this.#sent.set(packet.ssrc, count);
  }

  #receive(data: Buffer): void {
    const type = data[1]!;
    if (type >= 192 && type <= 223) {
      this.#receiveRtcp(data);
      return;
    }
    if (!this.decryptRtp) {
      this.packetsReceived++;
      this.onRtp(data);
      return;
    }
    try {
      const packet = this.#srtp.decrypt(data);
      this.packetsReceived++;
      this.onRtp(packet);
    } catch {
      // not authentic: dropped, as a browser drops it
    }
  }

  /** SRTCP from the SFU: PLI (PSFB FMT 1) and FIR (PSFB FMT 4) ask for a key frame. */
  #receiveRtcp(data: Buffer): void {
    let rtcp: Buffer;
    try {
      rtcp = this.#srtcp.decrypt(data);
    } catch {
      return;
    }
    for (let offset = 0; offset + 12 <= rtcp.length; ) {
      const fmt = rtcp[offset]! & 0x1f;
      const length = (rtcp.readUInt16BE(offset + 2) + 1) * 4;
      if (rtcp[offset + 1] === 206) {
        if (fmt === 1) this.#keyFrameRequest(rtcp.readUInt32BE(offset + 8));
        else if (fmt === 4 && offset + 16 <= rtcp.length)
          this.#keyFrameRequest(rtcp.readUInt32BE(offset + 12));
      }
      offset += length;
    }
  }

  #keyFrameRequest(ssrc: number): void {
    this.keyFrameRequests++;
    this.onKeyFrameRequest(ssrc);
  }

  /** An RTCP sender report per stream: wall clock ↔ RTP time, packet and octet counts. */
  #senderReports(): void {
    if (this.#closed) return;
    const now = Date.now();
    for (const [ssrc, count] of this.#sent) {
      const sr = Buffer.alloc(28);
      sr[0] = 0x80;
      sr[1] = 200;
      sr.writeUInt16BE(6, 2);
      sr.writeUInt32BE(ssrc, 4);
      const ntpSeconds = Math.floor(now / 1000) + 2_208_988_800;
      sr.writeUInt32BE(ntpSeconds >>> 0, 8);
      sr.writeUInt32BE(Math.floor(((now % 1000) / 1000) * 2 ** 32) >>> 0, 12);
      sr.writeUInt32BE((count.timestamp + Math.round(((now - count.at) * count.clockRate) / 1000)) >>> 0, 16);
      sr.writeUInt32BE(count.packets >>> 0, 20);
      sr.writeUInt32BE(count.octets >>> 0, 24);
      this.#socket.send(this.#srtcp.encrypt(sr), this.#target.port, this.#target.ip);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#dtls.onData.allUnsubscribe?.();
    this.#socket.close();
  }
}

/** `start` within HANDSHAKE_TIMEOUT_MS; its returned function cleans up either way. */
function bounded(
  what: string,
  start: (resolve: () => void, reject: (error: Error) => void) => () => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let cleanup = () => {};
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${what} timed out`));
    }, HANDSHAKE_TIMEOUT_MS);
    cleanup = start(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (error) => {
        clearTimeout(timer);
        cleanup();
        reject(error);
      },
    );
  });
}
