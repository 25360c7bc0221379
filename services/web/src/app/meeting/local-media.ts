/**
 * This person's own media: microphone, camera and screen, what is sent to the SFU, and what the
 * host's mute and stop-video did to them. The microphone and camera can be changed (a chosen
 * device, or the phone's front/back switch), and the camera reopened after the system took it
 * away in the background, all through the same producers. With a background effect the track
 * sent and shown is the effect's (background/camera-effect.ts); the camera's own is kept here.
 */
import type { SfuErrorCode } from '@conclave/protocol';
import type { Background } from '../background/choice.ts';
import { CameraEffect } from '../background/camera-effect.ts';
import { audioConstraints } from '../media-access.ts';
import {
  type NoiseMode,
  micTrackFor,
  microphoneOf,
  noiseModeOf,
  rememberNoiseSuppression,
  noiseSuppressionWanted,
  retire,
} from '../noise/mic-noise.ts';
import { type SfuEvents, SfuRequestError, type SfuSession } from '../sfu-session.ts';
import { nextCamera, openCamera, videoInputs } from './camera-choice.ts';
import type { StateEvents } from './types.ts';

type Producing = Pick<SfuSession, 'produce' | 'closeProducer' | 'setPaused' | 'producers'>;
type HostAction = Parameters<SfuEvents['hostAction']>[0];

const refusedByHost = (e: unknown) =>
  e instanceof SfuRequestError && e.code === ('muted_by_host' satisfies SfuErrorCode);

/** Opens one microphone as the pre-join page does: denoised when noise suppression is on. */
async function openMicrophone(deviceId: string): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: audioConstraints(deviceId) });
  return micTrackFor(stream.getAudioTracks()[0]!, noiseSuppressionWanted());
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
  /** The camera's own track; `stream` holds the background effect's track while one is on. */
  #camera: MediaStreamTrack | undefined;
  readonly effect: CameraEffect;
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
    const failed = (message: string) => {
      events.notice(message);
      void this.setBackground({ kind: 'off' });
    };
    const camera = stream.getVideoTracks()[0];
    this.effect = (camera && CameraEffect.adopt(camera, failed)) ?? new CameraEffect(failed);
    if (camera) void this.#showCamera(camera);
    navigator.mediaDevices?.addEventListener('devicechange', this.#devicesChanged);
    void this.refreshCameras();
  }

  async refreshCameras(): Promise<void> {
    this.cameras = await videoInputs();
    this.#events.changed();
  }

  /** The microphone in use (the one asked for last; else what its track's settings name). */
  get microphone(): string | undefined {
    const track = this.stream.getAudioTracks()[0];
    return this.#micId ?? (track && microphoneOf(track).getSettings().deviceId);
  }

  /** Whether the microphone is sent through RNNoise (noise/mic-noise.ts). */
  get noise(): NoiseMode {
    return noiseModeOf(this.stream.getAudioTracks()[0]);
  }

  /**
   * Switches noise suppression, remembered on this device. The new track (denoised, or the
   * microphone itself) replaces the sent one with `replaceTrack`: same producer, same transform.
   */
  setNoiseSuppression(on: boolean): Promise<void> {
    rememberNoiseSuppression(on);
    const next = this.#micSwitch.then(async () => {
      const old = this.stream.getAudioTracks()[0];
      if (!old) return;
      const track = await micTrackFor(old, on);
      if (track === old) return;
      track.enabled = this.micOn;
      try {
        if (this.#sfu.producers.has('mic')) await this.#sfu.produce(track, 'mic');
      } catch (error) {
        retire(track, old);
        throw error;
      }
      this.stream.removeTrack(old);
      this.stream.addTrack(track);
      retire(old, track);
      track.enabled = this.micOn;
    });
    this.#micSwitch = next.catch(() => {});
    return next.finally(() => this.#events.changed());
  }

  /** Whether the camera itself is capturing: its own track live and on (its light is on). */
  get capturing(): boolean {
    return this.#camera?.readyState === 'live' && this.#camera.enabled;
  }

  /**
   * Camera on or off, for what is sent and for the camera itself: with a background effect the
   * camera's own track is not the one in `stream`, and left on it would keep the camera's light on.
   */
  #enableVideo(on: boolean): void {
    for (const t of this.stream.getVideoTracks()) t.enabled = on;
    if (this.#camera) this.#camera.enabled = on;
  }

  /** The camera in use, found the same way. */
  get camera(): string | undefined {
    return this.#cameraId ?? this.#camera?.getSettings().deviceId;
  }

  /** Goes to the next camera (front → back → front). */
  async switchCamera(): Promise<void> {
    const next = nextCamera(this.cameras, this.camera);
    if (next && !this.#switching) await this.useCamera(next).catch(() => this.#cameraFailed());
  }

  /** Back from the background: a camera the system took away (its track ended) is opened again. */
  async restoreCamera(): Promise<void> {
    const video = this.#camera;
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
    const old = this.#camera;
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
    this.#cameraId = deviceId;
    await this.#showCamera(track);
  }

  /** Shows and sends this camera, through the background effect when one is on. */
  async #showCamera(camera: MediaStreamTrack): Promise<void> {
    this.#camera = camera;
    const track = this.effect.output(camera);
    const old = this.stream.getVideoTracks()[0];
    if (old !== track) {
      if (old) this.stream.removeTrack(old);
      this.stream.addTrack(track);
    }
    this.#enableVideo(this.camOn);
    if (this.camOn && this.#sfu.producers.has('camera')) await this.#sfu.produce(track, 'camera');
  }

  /**
   * Changes what is behind the person: the same producer goes on (`replaceTrack` when the effect
   * is turned on or off; between two backgrounds the track stays the same).
   */
  async setBackground(background: Background): Promise<void> {
    this.effect.set(background);
    const old = this.stream.getVideoTracks()[0];
    if (this.#camera) await this.#showCamera(this.#camera);
    // The effect's track, once replaced by the camera's own, is ended after it.
    if (old && old !== this.#camera && old !== this.stream.getVideoTracks()[0]) old.stop();
    this.#events.changed();
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
    this.#enableVideo(on);
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
      this.#enableVideo(false);
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
    this.effect.stop();
    this.#camera?.stop();
    for (const t of this.stream.getTracks()) t.stop();
    for (const t of this.screen?.getTracks() ?? []) t.stop();
  }
}
