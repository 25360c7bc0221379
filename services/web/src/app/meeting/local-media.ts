/**
 * This person's own media: microphone, camera and screen, what is sent to the SFU, and what the
 * host's mute and stop-video did to them. The camera can be switched (front/back) and reopened
 * after the system took it away in the background, both through the same producer.
 */
import type { SfuErrorCode } from '@conclave/protocol';
import { type SfuEvents, SfuRequestError, type SfuSession } from '../sfu-session.ts';
import { nextCamera, openCamera, videoInputs } from './camera-choice.ts';
import type { StateEvents } from './types.ts';

type Producing = Pick<SfuSession, 'produce' | 'closeProducer' | 'setPaused' | 'producers'>;
type HostAction = Parameters<SfuEvents['hostAction']>[0];

const refusedByHost = (e: unknown) =>
  e instanceof SfuRequestError && e.code === ('muted_by_host' satisfies SfuErrorCode);

export class LocalMedia {
  readonly stream: MediaStream;
  micOn: boolean;
  camOn: boolean;
  screen: MediaStream | undefined;
  mutedByHost = false;
  /** The device's video inputs: the camera switch is offered with two or more. */
  cameras: string[] = [];
  /** The camera asked for last (a track's settings may not name it). */
  #cameraId: string | undefined;
  #switching = false;
  readonly #sfu: Producing;
  readonly #events: StateEvents;
  readonly #devicesChanged = () => void this.refreshCameras();

  constructor(stream: MediaStream, sfu: Producing, events: StateEvents) {
    this.stream = stream;
    this.#sfu = sfu;
    this.#events = events;
    this.micOn = stream.getAudioTracks().some((t) => t.enabled);
    this.camOn = stream.getVideoTracks().some((t) => t.enabled);
    navigator.mediaDevices?.addEventListener('devicechange', this.#devicesChanged);
    void this.refreshCameras();
  }

  async refreshCameras(): Promise<void> {
    this.cameras = await videoInputs();
    this.#events.changed();
  }

  /** Goes to the next camera (front → back → front). */
  async switchCamera(): Promise<void> {
    const current = this.#cameraId ?? this.stream.getVideoTracks()[0]?.getSettings().deviceId;
    const next = nextCamera(this.cameras, current);
    if (next && !this.#switching) await this.#useCamera(next);
  }

  /** Back from the background: a camera the system took away (its track ended) is opened again. */
  async restoreCamera(): Promise<void> {
    const video = this.stream.getVideoTracks()[0];
    if (!video || video.readyState === 'live' || this.#switching) return;
    await this.#useCamera(this.#cameraId ?? video.getSettings().deviceId);
  }

  /**
   * Opens a camera and sends it in place of the current one with `replaceTrack`: the producer,
   * and the SFrame transform on its sender, stay the same, so the others see no new stream.
   */
  async #useCamera(deviceId: string | undefined): Promise<void> {
    this.#switching = true;
    const old = this.stream.getVideoTracks()[0];
    // Most phones open one camera at a time: release the old one first.
    old?.stop();
    try {
      const track = await openCamera(deviceId);
      if (old) this.stream.removeTrack(old);
      this.stream.addTrack(track);
      this.#cameraId = deviceId;
      track.enabled = this.camOn;
      if (this.camOn && this.#sfu.producers.has('camera')) await this.#sfu.produce(track, 'camera');
    } catch {
      this.#events.notice('The camera could not be opened');
    } finally {
      this.#switching = false;
    }
    this.#events.changed();
  }

  /** Sends what is on on a new SFU connection (the microphone always, paused when off). */
  async publish(): Promise<void> {
    const audio = this.stream.getAudioTracks()[0];
    const video = this.stream.getVideoTracks()[0];
    await Promise.all([
      audio
        ? this.#sfu
            .produce(audio, 'mic')
            .then(() => (this.micOn ? undefined : this.#sfu.setPaused('mic', true)))
        : null,
      video && this.camOn ? this.#sfu.produce(video, 'camera') : null,
    ]);
    const screen = this.screen?.getVideoTracks()[0];
    if (screen) await this.#sfu.produce(screen, 'screen');
  }

  async setMic(on: boolean): Promise<void> {
    if (on && this.mutedByHost) {
      this.#events.notice('The host muted you; ask them to let you unmute');
      return;
    }
    this.micOn = on;
    for (const t of this.stream.getAudioTracks()) t.enabled = on;
    await this.#sfu.setPaused('mic', !on).catch((e: unknown) => {
      if (refusedByHost(e)) {
        this.micOn = false;
        this.mutedByHost = true;
      }
    });
    this.#events.changed();
  }

  async setCamera(on: boolean): Promise<void> {
    this.camOn = on;
    const video = this.stream.getVideoTracks()[0];
    if (video) video.enabled = on;
    try {
      if (on && video) await this.#sfu.produce(video, 'camera');
      else await this.#sfu.closeProducer('camera');
    } catch (e) {
      this.camOn = false;
      if (refusedByHost(e)) this.#events.notice('The host turned off your camera');
    }
    this.#events.changed();
  }

  async startScreenShare(): Promise<void> {
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    const track = stream.getVideoTracks()[0]!;
    this.screen = stream;
    track.addEventListener('ended', () => void this.stopScreenShare());
    await this.#sfu.produce(track, 'screen');
    this.#events.changed();
  }

  async stopScreenShare(): Promise<void> {
    if (!this.screen) return;
    for (const t of this.screen.getTracks()) t.stop();
    this.screen = undefined;
    await this.#sfu.closeProducer('screen');
    this.#events.changed();
  }

  /** The SFU enforces the host's action; this follows it on the page. */
  hostAction(action: HostAction, sources: string[]): void {
    if (action === 'mute') {
      this.micOn = false;
      this.mutedByHost = true;
      for (const t of this.stream.getAudioTracks()) t.enabled = false;
      this.#sfu.producers.get('mic')?.pause();
      this.#events.notice('The host muted your microphone');
    } else if (action === 'stopVideo') {
      this.camOn = false;
      for (const t of this.stream.getVideoTracks()) t.enabled = false;
      void this.#sfu.closeProducer('camera');
      void this.stopScreenShare();
      this.#events.notice('The host turned off your camera');
    } else if (action === 'allow' && sources.includes('mic')) {
      this.mutedByHost = false;
      this.#events.notice('The host allows you to unmute');
    }
    this.#events.changed();
  }

  /** The meeting is over: release the camera, microphone and screen. */
  stop(): void {
    navigator.mediaDevices?.removeEventListener('devicechange', this.#devicesChanged);
    for (const t of this.stream.getTracks()) t.stop();
    for (const t of this.screen?.getTracks() ?? []) t.stop();
  }
}
