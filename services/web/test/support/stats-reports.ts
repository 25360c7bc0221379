/**
 * getStats() reports shaped like real ones, their counters set by the test. Chromium's records
 * are those of a two-person meeting of these tests (a consumer's receiver; a simulcast camera's
 * sender), trimmed to a few fields besides those read; Firefox's follow Firefox ESR's (no round
 * trip on its receivers' candidate pairs, the selected pair marked `selected`, `framesPerSecond`
 * not always there, the SFU's loss only as a count).
 */
import type { StatsLike } from '../../src/app/meeting/connection-quality.ts';

type Rec = Record<string, unknown>;
export const report = (...records: Rec[]): StatsLike => new Map(records.map((r) => [String(r['id']), r]));
export const T0 = 1796567804721.125;

export interface In {
  at: number;
  received: number;
  lost?: number;
  frames?: number;
  jitter?: number;
  rtt?: number;
}

/** A Chromium consumer's receiver (`RTCRtpReceiver.getStats()`), its figures replaced. */
export function chromiumReceiver(kind: 'audio' | 'video', f: In): StatsLike {
  const video = kind === 'video';
  return report(
    {
      id: 'CPPUUS921N_jfR7+J9V',
      timestamp: T0 + f.at,
      type: 'candidate-pair',
      availableOutgoingBitrate: 300000,
      currentRoundTripTime: f.rtt ?? 0.003,
      nominated: true,
      state: 'succeeded',
      totalRoundTripTime: 0.077,
      transportId: 'T01',
      writable: true,
    },
    {
      id: video ? 'IT01V118805775' : 'IT01A957455430',
      timestamp: T0 + f.at,
      type: 'inbound-rtp',
      codecId: video ? 'CIT01_101' : 'CIT01_100_minptime=10;useinbandfec=1',
      kind,
      mediaType: kind,
      ssrc: video ? 118805775 : 957455430,
      transportId: 'T01',
      jitter: f.jitter ?? (video ? 0.034 : 0.015),
      packetsLost: f.lost ?? 0,
      packetsReceived: f.received,
      bytesReceived: f.received * 1000,
      ...(video
        ? {
            decoderImplementation: 'libvpx',
            frameHeight: 720,
            frameWidth: 1280,
            framesDecoded: f.frames ?? 0,
            framesPerSecond: 11,
            framesReceived: (f.frames ?? 0) + 2,
            freezeCount: 1,
            keyFramesDecoded: 3,
          }
        : { audioLevel: 0.249977111117893, totalAudioEnergy: 1.5225264931597946 }),
      mid: video ? '1' : '0',
      remoteId: video ? 'ROV118805775' : 'ROA957455430',
    },
    {
      id: video ? 'ROV118805775' : 'ROA957455430',
      timestamp: T0 + f.at - 400,
      type: 'remote-outbound-rtp',
      kind,
      mediaType: kind,
      packetsSent: f.received,
      reportsSent: 4,
      roundTripTimeMeasurements: 0,
      totalRoundTripTime: 0,
    },
    {
      id: 'T01',
      timestamp: T0 + f.at,
      type: 'transport',
      dtlsState: 'connected',
      iceState: 'connected',
      selectedCandidatePairChanges: 1,
      selectedCandidatePairId: 'CPPUUS921N_jfR7+J9V',
    },
  );
}

/** A Chromium camera producer's sender: three simulcast layers, each with the SFU's receiver report. */
export function chromiumCameraSender(
  at: number,
  sent: [number, number, number],
  fractionLost = 0,
  rtt = 0.0015,
) {
  const layers = ['99142323', '1151630183', '2431874151'];
  return report(
    {
      id: 'CPoqtZwW5c_zM7TiJlR',
      timestamp: T0 + at,
      type: 'candidate-pair',
      currentRoundTripTime: rtt,
      nominated: true,
      state: 'succeeded',
      transportId: 'T01',
    },
    ...layers.flatMap((ssrc, i) => [
      {
        id: `OT01V${ssrc}`,
        timestamp: T0 + at,
        type: 'outbound-rtp',
        kind: 'video',
        mediaType: 'video',
        ssrc: Number(ssrc),
        active: true,
        packetsSent: sent[i],
        framesEncoded: 126,
        framesPerSecond: 20,
        rid: `r${i}`,
        qualityLimitationReason: 'none',
        remoteId: `RIV${ssrc}`,
      },
      {
        id: `RIV${ssrc}`,
        timestamp: T0 + at - 500,
        type: 'remote-inbound-rtp',
        kind: 'video',
        mediaType: 'video',
        ssrc: Number(ssrc),
        jitter: 0.008633,
        packetsLost: Math.round(fractionLost * (sent[i] ?? 0)),
        fractionLost,
        localId: `OT01V${ssrc}`,
        roundTripTime: rtt,
        roundTripTimeMeasurements: 6,
      },
    ]),
    { id: 'T01', timestamp: T0 + at, type: 'transport', selectedCandidatePairId: 'CPoqtZwW5c_zM7TiJlR' },
  );
}

/**
 * A Firefox consumer's receiver, as Firefox ESR 153 gives it; `older`: as earlier Firefoxes did,
 * with no round trip on the candidate pairs, no `transport` record and no `framesPerSecond`.
 */
export function firefoxReceiver(f: In & { older?: boolean }): StatsLike {
  const rtt = (value: number) => (f.older ? {} : { currentRoundTripTime: value });
  return report(
    {
      id: '4f062d77',
      timestamp: T0 + f.at,
      type: 'inbound-rtp',
      codecId: '18cd7732',
      kind: 'video',
      mediaType: 'video',
      ssrc: 126720396,
      transportId: 'da678b7e',
      discardedPackets: 0,
      jitter: 0.011733333333333333,
      packetsDiscarded: 0,
      packetsLost: f.lost ?? 0,
      packetsReceived: f.received,
      bytesReceived: f.received * 1055,
      frameHeight: 720,
      frameWidth: 1280,
      ...(f.frames === undefined ? {} : { framesDecoded: f.frames, framesReceived: f.frames + 1 }),
      ...(f.older ? {} : { framesPerSecond: 10 }),
      freezeCount: 0,
      keyFramesDecoded: 4,
      mid: '1',
      remoteId: '51efdcf3',
    },
    {
      id: '51efdcf3',
      timestamp: T0 + f.at - 884,
      type: 'remote-outbound-rtp',
      codecId: '18cd7732',
      kind: 'video',
      mediaType: 'video',
      ssrc: 126720396,
      transportId: 'da678b7e',
      bytesSent: f.received * 1033,
      packetsSent: f.received,
      localId: '4f062d77',
      remoteTimestamp: -2208942398665,
    },
    {
      id: 'b9c5de0f',
      timestamp: T0 + f.at,
      type: 'candidate-pair',
      ...rtt(f.rtt ?? 0.005),
      localCandidateId: 'e962c469',
      nominated: true,
      readable: true,
      remoteCandidateId: '1c1bad7e',
      selected: true,
      state: 'succeeded',
      transportId: 'da678b7e',
      writable: true,
    },
    // Another nominated pair, not the one in use: its round trip is not the connection's.
    {
      id: '35be0d00',
      timestamp: T0 + f.at,
      type: 'candidate-pair',
      ...rtt(0.849),
      localCandidateId: '87758171',
      nominated: true,
      readable: true,
      remoteCandidateId: 'f0367f2b',
      selected: false,
      state: 'succeeded',
      transportId: 'da678b7e',
      writable: true,
    },
    ...(f.older
      ? []
      : [
          {
            id: 'da678b7e',
            timestamp: T0 + f.at,
            type: 'transport',
            dtlsState: 'connected',
            iceState: 'connected',
            selectedCandidatePairId: 'b9c5de0f',
          },
        ]),
  );
}

/**
 * A Firefox microphone producer's sender, as Firefox ESR 153 gives it; `older`: with no
 * `fractionLost` in the SFU's receiver report, only its count of lost packets.
 */
export function firefoxMicSender(
  at: number,
  sent: number,
  lost: number,
  o: { rtt?: number; fractionLost?: number; older?: boolean } = {},
): StatsLike {
  return report(
    {
      id: 'a9e10a1d',
      timestamp: T0 + at,
      type: 'outbound-rtp',
      codecId: '84337bbc',
      kind: 'audio',
      mediaType: 'audio',
      ssrc: 1430912013,
      transportId: '40d9f86b',
      bytesSent: sent * 100,
      packetsSent: sent,
      mid: '0',
      nackCount: 0,
      remoteId: 'a8127cd2',
    },
    {
      id: 'a8127cd2',
      timestamp: T0 + at - 2849,
      type: 'remote-inbound-rtp',
      codecId: '84337bbc',
      kind: 'audio',
      mediaType: 'audio',
      ssrc: 1430912013,
      transportId: '40d9f86b',
      jitter: 0.015229000000000001,
      packetsLost: lost,
      packetsReceived: sent - lost,
      ...(o.older ? {} : { fractionLost: o.fractionLost ?? 0 }),
      localId: 'a9e10a1d',
      ...(o.rtt === undefined ? {} : { roundTripTime: o.rtt, totalRoundTripTime: o.rtt * 2 }),
      roundTripTimeMeasurements: o.rtt === undefined ? 0 : 2,
    },
  );
}
