import type { SfuMethod, SfuRequestData, SfuResponseData } from '@conclave/protocol';
import type { EventBus } from '@conclave/runtime';
import { SfuFailure } from '../rtc/failure.ts';
import type { Peer } from '../rtc/peer.ts';
import type { RoomDirectory } from '../rtc/room-directory.ts';

export interface HandlerContext {
  peer: Peer;
  rooms: RoomDirectory;
  bus?: EventBus;
}

type Handlers = {
  [M in SfuMethod]: (
    ctx: HandlerContext,
    data: SfuRequestData<M>,
  ) => Promise<SfuResponseData<M>> | SfuResponseData<M>;
};

const EMPTY = {} as Record<string, never>;

function hostTarget(ctx: HandlerContext, peerId: string): Peer {
  const target = ctx.peer.room.peer(peerId);
  if (!target) throw new SfuFailure('peer_not_found', 'no such peer in this room');
  return target;
}

/** One function per signaling method; schema validation and role checks happen before. */
export const handlers: Handlers = {
  async getRouterRtpCapabilities({ peer }) {
    return { rtpCapabilities: await peer.room.rtpCapabilities(peer) };
  },
  listProducers({ peer }) {
    return { producers: peer.room.producerInfos() };
  },
  createWebRtcTransport({ peer }, { direction }) {
    return peer.createWebRtcTransport(direction);
  },
  async connectWebRtcTransport({ peer }, data) {
    await peer.connectWebRtcTransport(data);
    return EMPTY;
  },
  restartIce({ peer }, { transportId }) {
    return peer.restartIce(transportId);
  },
  closeTransport({ peer }, { transportId }) {
    peer.closeTransport(transportId);
    return EMPTY;
  },
  produce({ peer }, data) {
    return peer.produce(data);
  },
  closeProducer({ peer }, { producerId }) {
    peer.closeProducer(producerId);
    return EMPTY;
  },
  async pauseProducer({ peer }, { producerId }) {
    await peer.pauseProducer(producerId);
    return EMPTY;
  },
  async resumeProducer({ peer }, { producerId }) {
    await peer.resumeProducer(producerId);
    return EMPTY;
  },
  consume({ peer }, data) {
    return peer.consume(data);
  },
  async pauseConsumer({ peer }, { consumerId }) {
    await peer.consumers.pause(consumerId);
    return EMPTY;
  },
  async resumeConsumer({ peer }, { consumerId }) {
    await peer.consumers.resume(consumerId);
    return EMPTY;
  },
  closeConsumer({ peer }, { consumerId }) {
    peer.consumers.close(consumerId);
    return EMPTY;
  },
  async setConsumerPreferredLayers({ peer }, data) {
    await peer.consumers.setPreferredLayers(data);
    return EMPTY;
  },
  async setConsumerPriority({ peer }, { consumerId, priority }) {
    await peer.consumers.setPriority(consumerId, priority);
    return EMPTY;
  },
  async requestKeyFrame({ peer }, { consumerId }) {
    await peer.consumers.requestKeyFrame(consumerId);
    return EMPTY;
  },
  async hostMute(ctx, { peerId }) {
    await hostTarget(ctx, peerId).lockByHost(['mic'], 'mute');
    return EMPTY;
  },
  async hostStopVideo(ctx, { peerId }) {
    await hostTarget(ctx, peerId).lockByHost(['camera', 'screen'], 'stopVideo');
    return EMPTY;
  },
  hostAllow(ctx, { peerId, sources }) {
    hostTarget(ctx, peerId).allowByHost(sources);
    return EMPTY;
  },
  hostRemove(ctx, { peerId }) {
    const target = hostTarget(ctx, peerId);
    const { sid, grp, exp } = target.identity;
    const room = ctx.peer.room.id;
    ctx.rooms.removeSession(room, sid, exp);
    // The other services (and other SFU nodes in a cascade) drop the session too.
    void ctx.bus?.publish({ type: 'session.removed', room, grp, sid }).catch(() => undefined);
    return EMPTY;
  },
  hostEndMeeting(ctx) {
    const room = ctx.peer.room.id;
    const { grp } = ctx.peer.identity;
    // After the response is on its way: ending the room hangs up on the host too.
    setImmediate(() => {
      ctx.rooms.endRoom(room);
      void ctx.bus?.publish({ type: 'room.ended', room, grp }).catch(() => undefined);
    });
    return EMPTY;
  },
};

export function isHostMethod(method: SfuMethod): boolean {
  return method.startsWith('host');
}
