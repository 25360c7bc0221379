/**
 * This person's own media: microphone, camera and screen, what is sent to the SFU, and what the
 * host's mute and stop-video did to them. The microphone and camera can be changed (a chosen
 * device, or the phone's front/back switch), and the camera reopened after the system took it
 * away in the background, all through the same producers.
 */
import type { SfuErrorCode } from '@conclave/protocol';
import { type SfuEvents, SfuRequestError, type SfuSession } from '../sfu-session.ts';
import { nextCamera, openCamera, videoInputs } from './camera-choice.ts';
import type { StateEvents } from './types.ts';

type Producing = Pick<SfuSession, 'produce' | 'closeProducer' | 'setPaused' | 'producers'>;
type HostAction = Parameters<SfuEvents['hostAction']>[0];

const refusedByHost = (e: unknown) =>
  e instanceof SfuRequestError && e.code === ('muted_by_host' satisfies SfuErrorCode);

/** Opens one microphone, as the pre-join page does. */
async function openMicrophone(deviceId: string): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: { deviceId: { exact: deviceId } } });
  return stream.getAudioTracks()[0]!;
}

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
  /** The microphone asked for last, as for the camera. */
  #micId: string | undefined;
  #micSwitch: Promise<void> = Promise.resolve();
  /** Sent to the SFU once: a microphone chosen later by someone who joined without one is sent too. */
  #published = false;
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

  /** The microphone in use (the one asked for last; else what its track's settings name). */
  get microphone(): string | undefined {
    return this.#micId ?? this.stream.getAudioTracks()[0]?.getSettings().deviceId;
  }

  /** The camera in use, found the same way. */
  get camera(): string | undefined {
    return this.#cameraId ?? this.stream.getVideoTracks()[0]?.getSettings().deviceId;
  }

  /** Goes to the next camera (front → back → front). */
  async switchCamera(): Promise<void> {
    const next = nextCamera(this.cameras, this.camera);
    if (next && !this.#switching) await this.useCamera(next).catch(() => this.#cameraFailed());
  }

  /** Back from the background: a camera the system took away (its track ended) is opened again. */
  async restoreCamera(): Promise<void> {
    const video = this.stream.getVideoTracks()[0];
    if (!video || video.readyState === 'live' || this.#switching) return;
    await this.useCamera(this.camera).catch(() => this.#cameraFailed());
  }

  #cameraFailed(): void {
    this.#events.notice('The camera could not be opened');
  }

  /**
   * Opens a camera and sends it in place of the current one with `replaceTrack`: the producer,
   * and the SFrame transform on its sender, stay the same, so the others see no new stream.
   * When it cannot be opened (in use, unplugged) it throws, after going back to the old camera.
   */
  async useCamera(deviceId: string | undefined): Promise<void> {
    if (this.#switching) return;
    this.#switching = true;
    const old = this.stream.getVideoTracks()[0];
    const previous = this.camera;
    // Most phones open one camera at a time: release the old one first.
    old?.stop();
    try {
      await this.#sendCamera(await openCamera(deviceId), deviceId);
    } catch (error) {
      if (old && previous !== deviceId) {
        await openCamera(previous)
          .then((track) => this.#sendCamera(track, previous))
          .catch(() => {});
      }
      throw error;
    } finally {
      this.#switching = false;
      this.#events.changed();
    }
  }

  async #sendCamera(track: MediaStreamTrack, deviceId: string | undefined): Promise<void> {
    const old = this.stream.getVideoTracks()[0];
    if (old) this.stream.removeTrack(old);
    this.stream.addTrack(track);
    this.#cameraId = deviceId;
    track.enabled = this.camOn;
    if (this.camOn && this.#sfu.producers.has('camera')) await this.#sfu.produce(track, 'camera');
  }

  /**
   * Opens another microphone and sends it in place of the current one with `replaceTrack`, as
   * for the camera: the others keep decrypting the same stream. A muted person stays muted.
   * When it cannot be opened it throws, and the current microphone goes on as before (it is
   * released only once the new one is sent).
   */
  useMicrophone(deviceId: string): Promise<void> {
    // One switch at a time, in the order asked.
    const next = this.#micSwitch.then(() => this.#useMicrophone(deviceId));
    this.#micSwitch = next.catch(() => {});
    return next;
  }

  async #useMicrophone(deviceId: string): Promise<void> {
    const track = await openMicrophone(deviceId);
    track.enabled = this.micOn;
    try {
      if (this.#sfu.producers.has('mic')) await this.#sfu.produce(track, 'mic');
      // Joined without a microphone: this one is the first. Not connected just now: the next
      // connection sends it (publish).
      else if (this.#published) await this.#produceMic(track).catch(() => {});
    } catch (error) {
      track.stop();
      throw error;
    }
    const old = this.stream.getAudioTracks()[0];
    if (old) {
      this.stream.removeTrack(old);
      old.stop();
    }
    this.stream.addTrack(track);
    // The producer enables a track as its paused state says: follow what the person chose.
    track.enabled = this.micOn;
    this.#micId = deviceId;
    this.#events.changed();
  }

  /** Sends what is on on a new SFU connection (the microphone always, paused when off). */
  async publish(): Promise<void> {
    this.#published = true;
    const audio = this.stream.getAudioTracks()[0];
    const video = this.stream.getVideoTracks()[0];
    await Promise.all([
      audio ? this.#produceMic(audio) : null,
      video && this.camOn ? this.#sfu.produce(video, 'camera') : null,
    ]);
    const screen = this.screen?.getVideoTracks()[0];
    if (screen) await this.#sfu.produce(screen, 'screen');
  }

  /** The microphone always goes to the SFU, paused while off. */
  async #produceMic(track: MediaStreamTrack): Promise<void> {
    await this.#sfu.produce(track, 'mic');
    if (!this.micOn) await this.#sfu.setPaused('mic', true);
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
