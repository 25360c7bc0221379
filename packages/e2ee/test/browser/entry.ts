/**
 * Runs in the browser page: the package's derivations, the RFC 9605 vectors, SRP, name sealing,
 * a two-member MLS join feeding SFrame, and media through a real RTCPeerConnection whose
 * frames are encrypted and decrypted in Web Workers. Results go back to the Node test.
 */
import {
  acceptCommit,
  attachFrameTransform,
  bytesToHex,
  commitAdd,
  computeSrpClientProof,
  createJoiner,
  createMeetingGroup,
  createSrpVerifier,
  decodeHeader,
  deriveMeetingSecrets,
  deriveSFrameKeyMaterial,
  encodeHeader,
  type FrameCryptorStats,
  hexToBytes,
  importCtrHmacAeadKey,
  importSFrameKey,
  joinFromWelcome,
  mediaBaseKey,
  openDisplayName,
  postBindReceiver,
  postEpochKeys,
  SFrameKeyStore,
  sealDisplayName,
  securityCode,
  sframeDecrypt,
  sframeEncrypt,
  summarize,
  type WorkerResponse,
} from '../../src/index.ts';
import { parseSFrameVectors } from '../fixtures/vectors.ts';

export interface BrowserInput {
  meetingId: string;
  password: string;
  sframeVectorsJson: string;
}

export interface BrowserReport {
  userAgent: string;
  secrets: { srpSecret: string; mlsPsk: string; credKey: string; nameKey: string; pskId: string };
  vectors: { headers: number; aeads: number; suites: number; failures: string[] };
  srpVerifierLength: number;
  srpProof: { A: string; M1: string };
  nameRoundTrip: string;
  mls?: { epoch: string; sameBaseKey: boolean; sameSecurityCode: boolean; sframeRoundTrip: boolean };
}

async function checkVectors(json: string): Promise<BrowserReport['vectors']> {
  const v = parseSFrameVectors(json);
  const failures: string[] = [];
  for (const h of v.header) {
    const enc = bytesToHex(encodeHeader(h.kid, h.ctr));
    const dec = decodeHeader(hexToBytes(h.encoded));
    if (enc !== h.encoded || dec.kid !== h.kid || dec.ctr !== h.ctr)
      failures.push(`header ${h.kid}/${h.ctr}`);
  }
  const tags: Record<number, number> = { 1: 10, 2: 8, 3: 4, 6: 10, 7: 8, 8: 4 };
  const aeads = [
    ...v.aes_ctr_hmac.map((x) => ({ x, enc: 16, hash: 'SHA-256' as const })),
    ...v.aes_256_ctr_hmac.map((x) => ({ x, enc: 32, hash: 'SHA-512' as const })),
  ];
  for (const { x, enc, hash } of aeads) {
    const key = await importCtrHmacAeadKey(hexToBytes(x.key), enc, hash, tags[x.cipher_suite]!);
    const ct = bytesToHex(await key.seal(hexToBytes(x.nonce), hexToBytes(x.aad), hexToBytes(x.pt)));
    if (ct !== x.ct) failures.push(`aead ${x.cipher_suite}`);
  }
  for (const s of v.sframe) {
    const m = await deriveSFrameKeyMaterial(s.cipher_suite, hexToBytes(s.base_key), s.kid);
    if (bytesToHex(m.key) !== s.sframe_key || bytesToHex(m.salt) !== s.sframe_salt) {
      failures.push(`derivation ${s.cipher_suite}`);
    }
    const key = await importSFrameKey(s.cipher_suite, s.kid, m.key, m.salt);
    const ct = await sframeEncrypt(key, s.ctr, hexToBytes(s.metadata), hexToBytes(s.pt));
    if (bytesToHex(ct) !== s.ct) failures.push(`encrypt ${s.cipher_suite}`);
    const pt = await sframeDecrypt(key, hexToBytes(s.metadata), hexToBytes(s.ct));
    if (bytesToHex(pt.plaintext) !== s.pt) failures.push(`decrypt ${s.cipher_suite}`);
  }
  return { headers: v.header.length, aeads: aeads.length, suites: v.sframe.length, failures };
}

async function checkMls(meetingId: string, password: string): Promise<BrowserReport['mls']> {
  const secrets = await deriveMeetingSecrets(meetingId, password);
  const host = await createJoiner(secrets);
  const group = await createMeetingGroup(host, crypto.getRandomValues(new Uint8Array(16)));
  const guest = await createJoiner(secrets);
  const pending = await commitAdd(group, [guest.keyPackageBytes]);
  const hostGroup = acceptCommit(pending);
  const guestGroup = await joinFromWelcome(guest, pending.welcome!);
  const [hostKey, guestKey] = [await mediaBaseKey(hostGroup), await mediaBaseKey(guestGroup)];
  const summary = summarize(hostGroup);
  const leaves = Math.max(...summary.memberLeafIndices) + 1;
  const sender = new SFrameKeyStore();
  const receiver = new SFrameKeyStore();
  sender.installEpoch({ epoch: summary.epoch, baseKey: hostKey, groupSize: leaves, selfLeafIndex: 0 });
  receiver.installEpoch({ epoch: summary.epoch, baseKey: guestKey, groupSize: leaves, selfLeafIndex: 1 });
  const frame = await sender.encrypt(1, Uint8Array.of(1), Uint8Array.of(2, 3, 4));
  const out = await receiver.decrypt(Uint8Array.of(1), frame);
  return {
    epoch: summary.epoch.toString(),
    sameBaseKey: bytesToHex(hostKey) === bytesToHex(guestKey),
    sameSecurityCode: (await securityCode(hostGroup)) === (await securityCode(guestGroup)),
    sframeRoundTrip: bytesToHex(out.plaintext) === '020304' && out.leafIndex === 0,
  };
}

export async function runChecks(input: BrowserInput): Promise<BrowserReport> {
  const secrets = await deriveMeetingSecrets(input.meetingId, input.password);
  const { salt, verifier } = await createSrpVerifier(input.meetingId, secrets.srpSecret);
  // B = g^1 mod N = 2 is a legal (if weak) server value; enough to exercise the client step.
  const proof = await computeSrpClientProof(input.meetingId, secrets.srpSecret, { salt, B: '2' });
  const sealed = await sealDisplayName(secrets.nameKey, input.meetingId, 'Zoë 🎥');
  return {
    userAgent: navigator.userAgent,
    secrets: {
      srpSecret: secrets.srpSecret,
      mlsPsk: bytesToHex(secrets.mlsPsk),
      credKey: bytesToHex(secrets.credKey),
      nameKey: bytesToHex(secrets.nameKey),
      pskId: new TextDecoder().decode(secrets.pskId),
    },
    vectors: await checkVectors(input.sframeVectorsJson),
    srpVerifierLength: verifier.length,
    srpProof: { A: proof.A, M1: proof.M1 },
    nameRoundTrip: await openDisplayName(secrets.nameKey, input.meetingId, sealed),
    mls: await checkMls(input.meetingId, input.password),
  };
}

export interface MediaReport {
  mode: string;
  framesDecoded: number;
  keyFramesDecoded: number;
  sender: FrameCryptorStats;
  receiver: FrameCryptorStats;
}

function workerStats(worker: Worker): Promise<FrameCryptorStats> {
  return new Promise((resolve) => {
    const onMessage = (event: MessageEvent<WorkerResponse>) => {
      if (event.data.type !== 'stats') return;
      worker.removeEventListener('message', onMessage);
      resolve(event.data.stats);
    };
    worker.addEventListener('message', onMessage);
    worker.postMessage({ type: 'get-stats' });
  });
}

/** Sends a canvas video track (VP8) between two local peer connections through the workers. */
export async function runMediaLoopback(
  workerUrl: string,
  sameKeys: boolean,
  durationMs: number,
  legacy = false,
): Promise<MediaReport> {
  // The legacy path is what browsers without RTCRtpScriptTransform take.
  const scriptTransform = globalThis.RTCRtpScriptTransform;
  if (legacy) Reflect.deleteProperty(globalThis, 'RTCRtpScriptTransform');
  const canvas = document.createElement('canvas');
  canvas.width = 320;
  canvas.height = 240;
  const ctx = canvas.getContext('2d')!;
  let n = 0;
  const painter = setInterval(() => {
    ctx.fillStyle = `hsl(${(n * 7) % 360} 80% 50%)`;
    ctx.fillRect(0, 0, 320, 240);
    ctx.fillStyle = '#fff';
    ctx.fillText(String(n++), 10 + (n % 200), 20 + (n % 150));
  }, 33);
  const track = canvas.captureStream(30).getVideoTracks()[0]!;

  const senderWorker = new Worker(workerUrl);
  const receiverWorker = new Worker(workerUrl);
  const baseKey = crypto.getRandomValues(new Uint8Array(16));
  postEpochKeys(senderWorker, { epoch: 1n, baseKey, groupSize: 2, selfLeafIndex: 0 });
  postEpochKeys(receiverWorker, {
    epoch: 1n,
    baseKey: sameKeys ? baseKey : crypto.getRandomValues(new Uint8Array(16)),
    groupSize: 2,
    selfLeafIndex: 1,
  });

  const config = (legacy ? { encodedInsertableStreams: true } : {}) as RTCConfiguration;
  const pc1 = new RTCPeerConnection(config);
  const pc2 = new RTCPeerConnection(config);
  pc1.onicecandidate = (e) => e.candidate && pc2.addIceCandidate(e.candidate);
  pc2.onicecandidate = (e) => e.candidate && pc1.addIceCandidate(e.candidate);
  const transceiver = pc1.addTransceiver(track, { direction: 'sendonly' });
  const vp8 = RTCRtpSender.getCapabilities('video')!.codecs.filter((c) => c.mimeType === 'video/VP8');
  transceiver.setCodecPreferences(vp8);
  const mode = attachFrameTransform(senderWorker, transceiver.sender, {
    operation: 'encrypt',
    codec: 'vp8',
    context: 'camera',
  });
  pc2.ontrack = (e) => {
    // Bound to the sender's leaf and source, as the web client binds it from the MLS roster.
    attachFrameTransform(receiverWorker, e.receiver, { operation: 'decrypt', codec: 'vp8', receiverId: 'r' });
    postBindReceiver(receiverWorker, 'r', { leafIndex: 0, context: 'camera' });
  };
  await pc1.setLocalDescription();
  await pc2.setRemoteDescription(pc1.localDescription!);
  await pc2.setLocalDescription();
  await pc1.setRemoteDescription(pc2.localDescription!);

  await new Promise((r) => setTimeout(r, durationMs));
  if (legacy) Object.assign(globalThis, { RTCRtpScriptTransform: scriptTransform });
  const decoded = async () => {
    let frames = { framesDecoded: 0, keyFramesDecoded: 0 };
    (await pc2.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video')
        frames = { framesDecoded: s.framesDecoded ?? 0, keyFramesDecoded: s.keyFramesDecoded ?? 0 };
    });
    return frames;
  };
  // With the same keys, a busy machine may take longer than `durationMs` to decode a few dozen
  // frames: keep reading for up to 15 s more. With different keys nothing can decode: no wait.
  let { framesDecoded, keyFramesDecoded } = await decoded();
  for (const deadline = Date.now() + 15_000; sameKeys && framesDecoded <= 30 && Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 250));
    ({ framesDecoded, keyFramesDecoded } = await decoded());
  }
  const report = {
    mode,
    framesDecoded,
    keyFramesDecoded,
    sender: await workerStats(senderWorker),
    receiver: await workerStats(receiverWorker),
  };
  clearInterval(painter);
  pc1.close();
  pc2.close();
  senderWorker.terminate();
  receiverWorker.terminate();
  return report;
}

Object.assign(globalThis, { conclave: { runChecks, runMediaLoopback } });
