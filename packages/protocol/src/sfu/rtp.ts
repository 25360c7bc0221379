import { type Static, Type } from 'typebox';

/**
 * Structural schemas for the WebRTC parameters a client sends. They bound sizes and types so
 * junk never reaches the media worker; the SFU's media layer still checks the semantics
 * (codecs it supports, payload types, simulcast layout) and answers `invalid_rtp_parameters`.
 */

const Id = Type.String({ minLength: 1, maxLength: 64 });

const CodecParameters = Type.Record(
  Type.String({ maxLength: 64 }),
  Type.Union([Type.String({ maxLength: 256 }), Type.Number()]),
  { maxProperties: 32 },
);

export const RtcpFeedback = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 32 }),
    parameter: Type.Optional(Type.String({ maxLength: 32 })),
  },
  { additionalProperties: false },
);

export const RtpCodecParameters = Type.Object(
  {
    mimeType: Type.String({ minLength: 3, maxLength: 64 }),
    payloadType: Type.Integer({ minimum: 0, maximum: 127 }),
    clockRate: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    channels: Type.Optional(Type.Integer({ minimum: 1, maximum: 8 })),
    parameters: Type.Optional(CodecParameters),
    rtcpFeedback: Type.Optional(Type.Array(RtcpFeedback, { maxItems: 16 })),
  },
  { additionalProperties: false },
);

export const RtpHeaderExtensionParameters = Type.Object(
  {
    uri: Type.String({ minLength: 1, maxLength: 256 }),
    id: Type.Integer({ minimum: 1, maximum: 255 }),
    encrypt: Type.Optional(Type.Boolean()),
    parameters: Type.Optional(CodecParameters),
  },
  { additionalProperties: false },
);

export const RtpEncodingParameters = Type.Object(
  {
    ssrc: Type.Optional(Type.Integer({ minimum: 0, maximum: 0xffffffff })),
    rid: Type.Optional(Type.String({ minLength: 1, maxLength: 16 })),
    codecPayloadType: Type.Optional(Type.Integer({ minimum: 0, maximum: 127 })),
    rtx: Type.Optional(
      Type.Object(
        { ssrc: Type.Integer({ minimum: 0, maximum: 0xffffffff }) },
        { additionalProperties: false },
      ),
    ),
    dtx: Type.Optional(Type.Boolean()),
    scalabilityMode: Type.Optional(Type.String({ maxLength: 16 })),
    scaleResolutionDownBy: Type.Optional(Type.Number({ minimum: 1, maximum: 64 })),
    maxBitrate: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000 })),
    maxFramerate: Type.Optional(Type.Number({ minimum: 0, maximum: 240 })),
    adaptivePtime: Type.Optional(Type.Boolean()),
    priority: Type.Optional(Type.String({ maxLength: 16 })),
    networkPriority: Type.Optional(Type.String({ maxLength: 16 })),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const RtcpParameters = Type.Object(
  {
    cname: Type.Optional(Type.String({ maxLength: 256 })),
    reducedSize: Type.Optional(Type.Boolean()),
    mux: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** At most three encodings: Conclave's VP8 simulcast has three layers (r0/r1/r2). */
export const RtpParameters = Type.Object(
  {
    mid: Type.Optional(Type.String({ maxLength: 16 })),
    codecs: Type.Array(RtpCodecParameters, { minItems: 1, maxItems: 8 }),
    headerExtensions: Type.Optional(Type.Array(RtpHeaderExtensionParameters, { maxItems: 16 })),
    encodings: Type.Optional(Type.Array(RtpEncodingParameters, { minItems: 1, maxItems: 3 })),
    rtcp: Type.Optional(RtcpParameters),
    /** Sent by mediasoup-client 3.24 (`<stream id> <track id>`); the SFU does not forward it. */
    msid: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);
export type RtpParameters = Static<typeof RtpParameters>;

export const RtpCodecCapability = Type.Object(
  {
    kind: Type.Union([Type.Literal('audio'), Type.Literal('video')]),
    mimeType: Type.String({ minLength: 3, maxLength: 64 }),
    preferredPayloadType: Type.Optional(Type.Integer({ minimum: 0, maximum: 127 })),
    clockRate: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    channels: Type.Optional(Type.Integer({ minimum: 1, maximum: 8 })),
    parameters: Type.Optional(CodecParameters),
    rtcpFeedback: Type.Optional(Type.Array(RtcpFeedback, { maxItems: 16 })),
  },
  { additionalProperties: false },
);

export const RtpHeaderExtensionCapability = Type.Object(
  {
    kind: Type.Union([Type.Literal('audio'), Type.Literal('video')]),
    uri: Type.String({ minLength: 1, maxLength: 256 }),
    preferredId: Type.Integer({ minimum: 1, maximum: 255 }),
    preferredEncrypt: Type.Optional(Type.Boolean()),
    direction: Type.Optional(
      Type.Union([
        Type.Literal('sendrecv'),
        Type.Literal('sendonly'),
        Type.Literal('recvonly'),
        Type.Literal('inactive'),
      ]),
    ),
  },
  { additionalProperties: false },
);

export const RtpCapabilities = Type.Object(
  {
    codecs: Type.Optional(Type.Array(RtpCodecCapability, { maxItems: 64 })),
    headerExtensions: Type.Optional(Type.Array(RtpHeaderExtensionCapability, { maxItems: 64 })),
  },
  { additionalProperties: false },
);
export type RtpCapabilities = Static<typeof RtpCapabilities>;

export const DtlsParameters = Type.Object(
  {
    role: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('client'), Type.Literal('server')])),
    fingerprints: Type.Array(
      Type.Object(
        {
          algorithm: Type.Union([
            Type.Literal('sha-1'),
            Type.Literal('sha-224'),
            Type.Literal('sha-256'),
            Type.Literal('sha-384'),
            Type.Literal('sha-512'),
          ]),
          value: Type.String({ minLength: 1, maxLength: 256 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 8 },
    ),
  },
  { additionalProperties: false },
);
export type DtlsParameters = Static<typeof DtlsParameters>;

export const IceParameters = Type.Object({
  usernameFragment: Type.String(),
  password: Type.String(),
  iceLite: Type.Optional(Type.Boolean()),
});

export const IceCandidate = Type.Object({
  foundation: Type.String(),
  priority: Type.Number(),
  ip: Type.String(),
  protocol: Type.Union([Type.Literal('udp'), Type.Literal('tcp')]),
  port: Type.Integer(),
  type: Type.Literal('host'),
  tcpType: Type.Optional(Type.Literal('passive')),
});

export { Id as SfuId };
