// Long file: one scenario per test for every signaling request and its errors.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { SfuCloseCode } from '@conclave/protocol';
import { type BusEvent, JoinTokenSigner, LocalEventBus, LocalNodeRegistry } from '@conclave/runtime';
import { after, before, describe, test } from 'node:test';
import type { SfuServer } from '../server.ts';
import { randomId, requireWorkerBin, SignalingClient, startTestSfu, TestTokens } from '../testing/harness.ts';

const tokens = new TestTokens();
const bus = new LocalEventBus();
const busEvents: BusEvent[] = [];
bus.subscribe((event) => busEvents.push(event));
let sfu: SfuServer & { port: number };
const clients: SignalingClient[] = [];

before(async () => {
  requireWorkerBin();
  sfu = await startTestSfu(tokens, { workers: 1, acceptedUrls: ['wss://sfu-a.example.org/v1/sfu'] }, { bus });
});
after(async () => {
  for (const client of clients) client.close();
  await sfu?.close();
  await bus.close();
});

async function connect(
  room: string,
  role: 'participant' | 'host' = 'participant',
  sid?: string,
): Promise<SignalingClient & { token: string; sid: string }> {
  const claims = tokens.claims({ room, role, ...(sid ? { sid } : {}) });
  const token = tokens.sign(claims);
  const client = new SignalingClient(sfu.port);
  clients.push(client);
  const welcome = await client.hello(token);
  assert.equal(welcome.type, 'welcome', `hello refused: ${JSON.stringify(client.errors)}`);
  return Object.assign(client, { token, sid: claims.sid });
}

const opus = (ssrc = 1111) => ({
  mid: '0',
  codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }],
  encodings: [{ ssrc }],
  rtcp: { cname: 'c' },
});
const vp8Simulcast = () => ({
  mid: '1',
  codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 }],
  encodings: [
    { rid: 'r0', scalabilityMode: 'L1T3', maxBitrate: 150_000 },
    { rid: 'r1', scalabilityMode: 'L1T3', maxBitrate: 500_000 },
    { rid: 'r2', scalabilityMode: 'L1T3', maxBitrate: 1_200_000 },
  ],
  headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id', id: 10 }],
  rtcp: { cname: 'c' },
});

async function produce(client: SignalingClient, source: 'mic' | 'camera' | 'screen') {
  const { transportId } = await client.request('createWebRtcTransport', { direction: 'send' });
  const kind = source === 'mic' ? 'audio' : 'video';
  const rtpParameters = kind === 'audio' ? opus() : vp8Simulcast();
  const { producerId } = await client.request('produce', { transportId, kind, source, rtpParameters });
  return { transportId, producerId };
}

describe('joining', () => {
  test('a client joins with its token in the first message and gets the router capabilities', async () => {
    const room = randomId();
    const client = await connect(room);
    const caps = client.welcome!.rtpCapabilities as { codecs: { mimeType: string }[] };
    const mimes = caps.codecs.map((c) => c.mimeType);
    assert.ok(mimes.includes('audio/opus') && mimes.includes('video/VP8'));
    assert.ok(!mimes.some((m) => /H264|VP9|AV1/.test(m)), 'only Opus and VP8 are offered');
    const transport = await client.request('createWebRtcTransport', { direction: 'recv' });
    assert.ok(transport.iceCandidates.length >= 2, 'a UDP and a TCP candidate');
    assert.ok(
      transport.iceCandidates.every((c) => c.port === sfu.config.rtc.portBase),
      'all transports share the worker’s WebRtcServer port',
    );
    assert.deepEqual(new Set(transport.iceCandidates.map((c) => c.protocol)), new Set(['udp', 'tcp']));
  });

  test('requests sent right behind hello are answered after the welcome, in order', async () => {
    const client = new SignalingClient(sfu.port);
    clients.push(client);
    await client.open();
    client.ws.send(
      JSON.stringify({ type: 'hello', v: 1, token: tokens.sign(tokens.claims({ room: randomId() })) }),
    );
    const [transport, producers] = await Promise.all([
      client.rawAwait('createWebRtcTransport', { direction: 'send' }),
      client.rawAwait('listProducers', {}),
    ]);
    assert.equal(client.welcome?.type, 'welcome');
    assert.equal(transport.ok, true);
    assert.deepEqual(producers.data, { producers: [] });
  });

  test("mediasoup-client's msid in produce parameters is accepted and not passed on to consumers", async () => {
    const room = randomId();
    const alice = await connect(room);
    const { transportId } = await alice.request('createWebRtcTransport', { direction: 'send' });
    const { producerId } = await alice.request('produce', {
      transportId,
      kind: 'audio',
      source: 'mic',
      rtpParameters: { ...opus(), msid: 'stream-1 track-1' },
    });
    const bob = await connect(room);
    const recv = await bob.request('createWebRtcTransport', { direction: 'recv' });
    const consumer = await bob.request('consume', {
      transportId: recv.transportId,
      producerId,
      rtpCapabilities: bob.welcome!.rtpCapabilities as never,
    });
    assert.equal(JSON.stringify(consumer).includes('track-1'), false);
  });

  test('a client sees producers that existed before it joined and hears about new ones', async () => {
    const room = randomId();
    const alice = await connect(room);
    const first = await produce(alice, 'mic');
    const bob = await connect(room);
    const listed = bob.welcome!.producers as { producerId: string; source: string; peerId: string }[];
    assert.deepEqual(
      listed.map((p) => [p.producerId, p.source, p.peerId]),
      [[first.producerId, 'mic', alice.peerId]],
    );
    const second = await produce(alice, 'camera');
    const announced = await bob.notification('newProducer', (d) => d.producerId === second.producerId);
    assert.equal(announced.source, 'camera');
    assert.equal(announced.kind, 'video');
    await alice.request('closeProducer', { producerId: second.producerId });
    await bob.notification('producerClosed', (d) => d.producerId === second.producerId);
  });

  test('requests racing a consumer whose producer is closing answer consumer_not_found, never internal', async () => {
    const room = randomId();
    const alice = await connect(room);
    const bob = await connect(room);
    const { transportId } = await bob.request('createWebRtcTransport', { direction: 'recv' });
    // Three rounds: `produce` opens a send transport each time and a peer may hold four.
    for (let round = 0; round < 3; round++) {
      const { producerId } = await produce(alice, 'camera');
      const { consumerId } = await bob.request('consume', {
        transportId,
        producerId,
        rtpCapabilities: bob.welcome!.rtpCapabilities as never,
      });
      const closing = alice.request('closeProducer', { producerId });
      const codes = await Promise.all(
        (['pauseConsumer', 'resumeConsumer', 'requestKeyFrame'] as const).map((method) =>
          bob
            .rawAwait(method, { consumerId })
            .then((r) => (r.ok ? 'ok' : (r.error as { code: string }).code)),
        ),
      );
      await closing;
      for (const code of codes) assert.ok(code === 'ok' || code === 'consumer_not_found', `got ${code}`);
    }
    assert.deepEqual((await bob.request('listProducers', {})).producers, []);
  });

  test('a consumer starts paused and is resumed by its client', async () => {
    const room = randomId();
    const alice = await connect(room);
    const { producerId } = await produce(alice, 'camera');
    const bob = await connect(room);
    const { transportId } = await bob.request('createWebRtcTransport', { direction: 'recv' });
    const consumer = await bob.request('consume', {
      transportId,
      producerId,
      rtpCapabilities: bob.welcome!.rtpCapabilities as never,
    });
    assert.equal(consumer.paused, true);
    assert.equal(consumer.type, 'simulcast');
    assert.equal(consumer.peerId, alice.peerId);
    await bob.request('resumeConsumer', { consumerId: consumer.consumerId });
    await bob.request('setConsumerPreferredLayers', { consumerId: consumer.consumerId, spatialLayer: 1 });
    await bob.request('setConsumerPriority', { consumerId: consumer.consumerId, priority: 200 });
    await bob.request('requestKeyFrame', { consumerId: consumer.consumerId });
    const server = sfu.rooms.room(room)!.peer(bob.peerId)!.consumers.list()[0]!;
    assert.equal(server.paused, false);
    assert.deepEqual(server.preferredLayers, { spatialLayer: 1, temporalLayer: 2 });
    assert.equal(server.priority, 200);
  });
});

describe('refusing bad tokens', () => {
  const refused = async (token: string, extra: Record<string, unknown> = {}) => {
    const client = new SignalingClient(sfu.port);
    clients.push(client);
    await client.hello(token, extra);
    const code = await client.closed;
    return { code, error: client.errors[0]?.code };
  };

  test('garbage, forged and expired tokens are refused with token_invalid and close code 4001', async () => {
    const room = randomId();
    const member = await connect(room);
    const now = Math.floor(Date.now() / 1000);
    const forger = new JoinTokenSigner(
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    );
    for (const token of [
      'not-a-token',
      forger.sign(tokens.claims({ room })),
      tokens.sign(tokens.claims({ room, iat: now - 7200, exp: now - 3600 })),
    ]) {
      assert.deepEqual(await refused(token), { code: SfuCloseCode.tokenInvalid, error: 'token_invalid' });
    }
    // The room is unaffected.
    assert.deepEqual((await member.request('listProducers', {})).producers, []);
    assert.equal(member.closeCode, undefined);
  });

  test('a token for another room is refused with token_wrong_room', async () => {
    const token = tokens.sign(tokens.claims({ room: randomId() }));
    assert.deepEqual(await refused(token, { room: randomId() }), {
      code: SfuCloseCode.tokenInvalid,
      error: 'token_wrong_room',
    });
  });

  test('a token naming another SFU node is refused with token_wrong_node; this node’s URLs are accepted', async () => {
    const room = randomId();
    const member = await connect(room);
    for (const other of [
      'ws://127.0.0.2/v1/sfu',
      'wss://sfu-b.example.org/v1/sfu',
      'ws://127.0.0.1:4443/v1/sfu',
      'sfu-1',
    ]) {
      assert.deepEqual(await refused(tokens.sign(tokens.claims({ room, sfu: other }))), {
        code: SfuCloseCode.tokenInvalid,
        error: 'token_wrong_node',
      });
    }
    // The public URL in another spelling, and a URL listed in acceptedUrls, name this node.
    for (const same of ['WS://127.0.0.1/v1/sfu/', sfu.publicUrl, 'wss://SFU-A.example.org:443/v1/sfu']) {
      const client = new SignalingClient(sfu.port);
      clients.push(client);
      const welcome = await client.hello(tokens.sign(tokens.claims({ room, sfu: same })));
      assert.equal(welcome.type, 'welcome', `${same}: ${JSON.stringify(client.errors)}`);
      client.close();
    }
    assert.equal(member.closeCode, undefined, 'the room is unaffected');
  });

  test('a request before hello is a protocol error (4000) and so is silence', async () => {
    const client = new SignalingClient(sfu.port);
    clients.push(client);
    await client.open();
    client.ws.send(JSON.stringify({ type: 'request', id: 1, method: 'listProducers', data: {} }));
    assert.equal(await client.closed, SfuCloseCode.protocolError);
    const silent = new SignalingClient(sfu.port);
    clients.push(silent);
    await silent.open();
    assert.equal(await silent.closed, SfuCloseCode.protocolError, 'closed after the hello timeout');
  });

  test('an unsupported protocol version is refused', async () => {
    const client = new SignalingClient(sfu.port);
    clients.push(client);
    await client.hello(tokens.sign(tokens.claims({ room: randomId() })), { v: 99 });
    assert.equal(await client.closed, SfuCloseCode.protocolError);
    assert.equal(client.errors[0]?.code, 'unsupported_version');
  });
});

describe('bad requests get typed errors and leave the room working', () => {
  test('unknown transport, producer, consumer and peer IDs', async () => {
    const room = randomId();
    const host = await connect(room, 'host');
    const { transportId } = await host.request('createWebRtcTransport', { direction: 'recv' });
    const caps = host.welcome!.rtpCapabilities;
    assert.equal(
      await host.errorOf('connectWebRtcTransport', {
        transportId: 'nope',
        dtlsParameters: { fingerprints: [{ algorithm: 'sha-256', value: 'AA' }] },
      }),
      'transport_not_found',
    );
    assert.equal(
      await host.errorOf('consume', { transportId, producerId: 'nope', rtpCapabilities: caps }),
      'producer_not_found',
    );
    assert.equal(await host.errorOf('resumeConsumer', { consumerId: 'nope' }), 'consumer_not_found');
    assert.equal(await host.errorOf('pauseProducer', { producerId: 'nope' }), 'producer_not_found');
    assert.equal(await host.errorOf('hostMute', { peerId: 'nope' }), 'peer_not_found');
    assert.equal(
      await host.errorOf('produce', { transportId, kind: 'audio', source: 'mic', rtpParameters: opus() }),
      'wrong_direction',
      'cannot produce on a receive transport',
    );
    assert.deepEqual(await host.request('listProducers', {}), { producers: [] });
  });

  test('malformed messages, unknown methods and oversized messages', async () => {
    const room = randomId();
    const client = await connect(room);
    assert.equal(await client.errorOf('noSuchMethod', {}), 'unknown_method');
    assert.equal(await client.errorOf('createWebRtcTransport', { direction: 'sideways' }), 'invalid_request');
    assert.equal(
      await client.errorOf('createWebRtcTransport', { direction: 'send', extra: 1 }),
      'invalid_request',
    );
    client.ws.send('{not json');
    client.ws.send(JSON.stringify({ type: 'request', method: 'listProducers' }));
    client.ws.send(
      JSON.stringify({ type: 'request', id: 7, method: 'listProducers', data: {}, pad: 'x'.repeat(20000) }),
    );
    await client.until(() => client.errors.length >= 3, 'three error messages');
    assert.deepEqual(client.errors.map((e) => e.code).sort(), [
      'bad_message',
      'bad_message',
      'message_too_large',
    ]);
    assert.deepEqual(
      await client.request('listProducers', {}),
      { producers: [] },
      'the connection still works',
    );
    assert.equal(client.closeCode, undefined);
  });

  test('a frame far above the limit closes the connection with 1009 and nothing else', async () => {
    const room = randomId();
    const other = await connect(room);
    const client = await connect(room);
    client.ws.send('x'.repeat(sfu.config.maxMessageBytes * 5));
    assert.equal(await client.closed, SfuCloseCode.messageTooBig);
    await other.notification('peerLeft', (d) => d.peerId === client.peerId);
    assert.deepEqual(await other.request('listProducers', {}), { producers: [] });
  });

  test('a flood of requests is refused beyond the queue limit instead of buffered', async () => {
    const client = await connect(randomId());
    const responses = await Promise.all(
      Array.from({ length: 150 }, () => client.rawAwait('createWebRtcTransport', { direction: 'sideways' })),
    );
    const codes = responses.map((r) => (r.error as { code: string }).code);
    assert.ok(codes.includes('limit_reached'), 'some requests are refused');
    assert.ok(codes.includes('invalid_request'), 'the queued ones are answered');
    assert.deepEqual(await client.request('listProducers', {}), { producers: [] }, 'the connection recovers');
  });

  test('ICE restart works on WebRTC transports and is refused for unknown ones', async () => {
    const client = await connect(randomId());
    const { transportId, iceParameters } = await client.request('createWebRtcTransport', {
      direction: 'send',
    });
    const restarted = await client.request('restartIce', { transportId });
    assert.notEqual(restarted.iceParameters.password, iceParameters.password);
    assert.equal(await client.errorOf('restartIce', { transportId: 'nope' }), 'transport_not_found');
    await client.request('closeTransport', { transportId });
    assert.equal(await client.errorOf('restartIce', { transportId }), 'transport_not_found');
  });

  test('malformed or unsupported RTP parameters are refused with typed errors', async () => {
    const room = randomId();
    const client = await connect(room);
    const { transportId } = await client.request('createWebRtcTransport', { direction: 'send' });
    const produce = (kind: string, source: string, rtpParameters: unknown) =>
      client.errorOf('produce', { transportId, kind, source, rtpParameters });
    const h264 = {
      codecs: [{ mimeType: 'video/H264', payloadType: 102, clockRate: 90000 }],
      encodings: [{ ssrc: 5 }],
    };
    assert.equal(await produce('video', 'camera', h264), 'invalid_rtp_parameters', 'unsupported codec');
    const wrongPt = { ...opus(), encodings: [{ ssrc: 9, codecPayloadType: 120 }] };
    assert.equal(
      await produce('audio', 'mic', wrongPt),
      'invalid_rtp_parameters',
      'encoding names a missing codec',
    );
    const fourLayers = { ...vp8Simulcast(), encodings: [1, 2, 3, 4].map((ssrc) => ({ ssrc })) };
    assert.equal(await produce('video', 'camera', fourLayers), 'invalid_request', 'more than three layers');
    assert.equal(await produce('video', 'camera', { codecs: 'VP8' }), 'invalid_request', 'not an object');
    assert.equal(await produce('audio', 'camera', opus()), 'invalid_request', 'a camera is video');
    assert.deepEqual(await client.request('listProducers', {}), { producers: [] });
    const ok = await client.request('produce', {
      transportId,
      kind: 'audio',
      source: 'mic',
      rtpParameters: opus(),
    });
    assert.ok(ok.producerId, 'valid parameters still work afterwards');
  });
});

describe('host actions are enforced by the server', () => {
  test('host mute pauses a participant’s mic; its owner cannot resume or re-produce until allowed', async () => {
    const room = randomId();
    const host = await connect(room, 'host');
    const alice = await connect(room);
    const mic = await produce(alice, 'mic');
    assert.equal(
      await alice.errorOf('hostMute', { peerId: host.peerId }),
      'forbidden',
      'participants cannot mute',
    );

    await host.request('hostMute', { peerId: alice.peerId });
    const action = await alice.notification('hostAction');
    assert.deepEqual(action, { action: 'mute', sources: ['mic'] });
    await host.notification('producerPaused', (d) => d.producerId === mic.producerId && d.byHost === true);
    const server = sfu.rooms.room(room)!.producer(mic.producerId)!;
    assert.equal(server.producer.paused, true);

    assert.equal(await alice.errorOf('resumeProducer', { producerId: mic.producerId }), 'muted_by_host');
    assert.equal(
      await alice.errorOf('produce', {
        transportId: mic.transportId,
        kind: 'audio',
        source: 'mic',
        rtpParameters: opus(2222),
      }),
      'muted_by_host',
      'a new mic producer is refused too',
    );
    assert.equal(server.producer.paused, true);

    await host.request('hostAllow', { peerId: alice.peerId, sources: ['mic'] });
    await alice.notification('hostAction', (d) => d.action === 'allow');
    await alice.request('resumeProducer', { producerId: mic.producerId });
    assert.equal(server.producer.paused, false);
    await host.notification('producerResumed', (d) => d.producerId === mic.producerId);
  });

  test('host stop-video pauses camera and screen share but not the mic', async () => {
    const room = randomId();
    const host = await connect(room, 'host');
    const bob = await connect(room);
    const mic = await produce(bob, 'mic');
    const camera = await produce(bob, 'camera');
    const screen = await produce(bob, 'screen');
    await host.request('hostStopVideo', { peerId: bob.peerId });
    const r = sfu.rooms.room(room)!;
    assert.equal(r.producer(camera.producerId)!.producer.paused, true);
    assert.equal(r.producer(screen.producerId)!.producer.paused, true);
    assert.equal(r.producer(mic.producerId)!.producer.paused, false);
    assert.equal(await bob.errorOf('resumeProducer', { producerId: camera.producerId }), 'muted_by_host');
    const listed = (await host.request('listProducers', {})).producers;
    assert.equal(listed.find((p) => p.producerId === camera.producerId)?.lockedByHost, true);
  });

  test('host remove closes the participant’s connection (4003) and refuses its token afterwards', async () => {
    const room = randomId();
    const host = await connect(room, 'host');
    const carol = await connect(room);
    const mic = await produce(carol, 'mic');
    busEvents.length = 0;
    await host.request('hostRemove', { peerId: carol.peerId });
    assert.equal(await carol.closed, SfuCloseCode.removed);
    await host.notification('producerClosed', (d) => d.producerId === mic.producerId);
    await host.notification('peerLeft', (d) => d.peerId === carol.peerId);
    await host.until(() => busEvents.length > 0, 'bus event');
    assert.equal(busEvents[0]?.type, 'session.removed');
    assert.equal((busEvents[0] as { sid: string }).sid, carol.sid, 'the other services hear about it');

    const again = new SignalingClient(sfu.port);
    clients.push(again);
    await again.hello(carol.token);
    assert.equal(await again.closed, SfuCloseCode.removed);
    assert.equal(again.errors[0]?.code, 'session_removed');
  });

  test('session.removed from the event bus drops that session', async () => {
    const room = randomId();
    const dave = await connect(room);
    const other = await connect(room);
    await bus.publish({ type: 'session.removed', room, grp: 'g'.repeat(16), sid: dave.sid });
    assert.equal(await dave.closed, SfuCloseCode.removed);
    assert.equal(other.closeCode, undefined);
  });

  test('room.ended from the event bus ends the meeting for everyone and refuses its tokens', async () => {
    const room = randomId();
    const a = await connect(room);
    const b = await connect(room, 'host');
    await bus.publish({ type: 'room.ended', room, grp: 'g'.repeat(16) });
    assert.equal(await a.closed, SfuCloseCode.roomEnded);
    assert.equal(await b.closed, SfuCloseCode.roomEnded);
    assert.ok(a.notifications.some((n) => n.method === 'roomEnded'));
    assert.equal(sfu.rooms.room(room), undefined);
    const late = new SignalingClient(sfu.port);
    clients.push(late);
    await late.hello(a.token);
    assert.equal(await late.closed, SfuCloseCode.removed);
  });

  test('the host can end the meeting, which is announced on the event bus', async () => {
    const room = randomId();
    const host = await connect(room, 'host');
    const guest = await connect(room);
    busEvents.length = 0;
    await host.request('hostEndMeeting', {});
    assert.equal(await guest.closed, SfuCloseCode.roomEnded);
    assert.equal(busEvents.find((e) => e.type === 'room.ended')?.room, room);
  });

  test('a second connection of the same session replaces the first (4009)', async () => {
    const room = randomId();
    const first = await connect(room);
    const second = await connect(room, 'participant', first.sid);
    assert.equal(await first.closed, SfuCloseCode.replaced);
    assert.equal(sfu.rooms.room(room)!.peerCount, 1);
    assert.deepEqual(await second.request('listProducers', {}), { producers: [] });
  });
});

describe('operations', () => {
  test('/metrics reports aggregates without room or session identifiers', async () => {
    const room = randomId();
    const client = await connect(room);
    await produce(client, 'mic');
    const response = await fetch(`http://127.0.0.1:${sfu.port}/metrics`);
    const text = await response.text();
    assert.equal(response.status, 200);
    assert.match(text, /^sfu_workers 1$/m);
    assert.match(text, /^sfu_producers\{kind="audio"\} [1-9]/m);
    assert.match(text, /^sfu_rooms [1-9]/m);
    assert.match(text, /^sfu_worker_cpu_seconds\{worker="0"\} /m);
    assert.ok(!text.includes(room), 'no room ID in metrics');
    assert.ok(!text.includes(client.sid), 'no session ID in metrics');
    assert.ok(!text.includes(client.peerId), 'no peer ID in metrics');
  });

  test('draining refuses new rooms (1013) and /readyz turns 503 while existing rooms continue', async () => {
    const registry = new LocalNodeRegistry();
    const node = await startTestSfu(tokens, { workers: 1, drainTimeoutMs: 60_000 }, { registry });
    try {
      const room = randomId();
      const token = tokens.sign(tokens.claims({ room }));
      const member = new SignalingClient(node.port);
      clients.push(member);
      assert.equal((await member.hello(token)).type, 'welcome');
      assert.equal((await fetch(`http://127.0.0.1:${node.port}/readyz`)).status, 200);
      assert.equal((await registry.pickLeastLoaded())?.id, node.config.nodeId, 'the node announced itself');
      const drained = node.drain(60_000);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(await registry.pickLeastLoaded(), undefined, 'a draining node takes no new rooms');
      assert.equal((await registry.list())[0]?.draining, true);
      assert.equal((await fetch(`http://127.0.0.1:${node.port}/readyz`)).status, 503);
      const newcomer = new SignalingClient(node.port);
      clients.push(newcomer);
      await newcomer.hello(tokens.sign(tokens.claims({ room: randomId() })));
      assert.equal(await newcomer.closed, SfuCloseCode.tryAgainLater);
      assert.equal(newcomer.errors[0]?.code, 'draining');
      const joiner = new SignalingClient(node.port);
      clients.push(joiner);
      assert.equal(
        (await joiner.hello(tokens.sign(tokens.claims({ room })))).type,
        'welcome',
        'existing rooms take joins',
      );
      member.close();
      joiner.close();
      await drained;
      assert.equal(node.rooms.rooms().length, 0);
      await assert.rejects(
        fetch(`http://127.0.0.1:${node.port}/healthz`),
        'the server stopped after the last room',
      );
    } finally {
      await node.close();
    }
  });

  test('/healthz answers while the process runs', async () => {
    const response = await fetch(`http://127.0.0.1:${sfu.port}/healthz`);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });
});
