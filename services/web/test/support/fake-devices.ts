/**
 * More devices than Chromium's fake ones, for tests, as init scripts (they run in the page, so
 * they use nothing from outside their own body): a second microphone (a steady tone), a second,
 * magenta, camera, and a microphone and a camera that are always busy; and a page where nothing
 * opens unless asked for by ID.
 */

export interface TestScope {
  testAudioContexts: AudioContext[];
  testSecondMicTracks: string[];
  testAudioSender: RTCRtpSender | undefined;
}

/**
 * Installed before the page's scripts: the extra devices in `enumerateDevices` and
 * `getUserMedia`, a record of the page's AudioContexts (the meters must close theirs) and of
 * the audio sender whose track was replaced (which microphone really goes out).
 */
export function moreDevices(): void {
  const scope = globalThis as unknown as TestScope;
  scope.testAudioContexts = [];
  scope.testSecondMicTracks = [];
  const NativeAudioContext = AudioContext;
  globalThis.AudioContext = class extends NativeAudioContext {
    constructor(options?: AudioContextOptions) {
      super(options);
      scope.testAudioContexts.push(this);
    }
  };
  const replaceTrack = RTCRtpSender.prototype.replaceTrack;
  RTCRtpSender.prototype.replaceTrack = function (track) {
    if (track?.kind === 'audio') scope.testAudioSender = this;
    return replaceTrack.call(this, track);
  };

  const media = navigator.mediaDevices;
  const enumerate = media.enumerateDevices.bind(media);
  const open = media.getUserMedia.bind(media);
  const device = (deviceId: string, kind: MediaDeviceKind, label: string) => {
    const d = { deviceId, groupId: deviceId, kind, label };
    return { ...d, toJSON: () => d } as MediaDeviceInfo;
  };
  const extra = [
    device('test-second-mic', 'audioinput', 'Second microphone'),
    device('test-busy-mic', 'audioinput', 'Busy microphone'),
    device('test-magenta-camera', 'videoinput', 'Magenta camera'),
    device('test-busy-camera', 'videoinput', 'Busy camera'),
  ];
  media.enumerateDevices = async () => [...(await enumerate()), ...extra];

  /** A steady 440 Hz tone (the fake microphones beep), from its own, unrecorded, AudioContext. */
  const secondMic = () => {
    const context = new NativeAudioContext();
    const tone = context.createOscillator();
    const gain = context.createGain();
    const out = context.createMediaStreamDestination();
    gain.gain.value = 0.5;
    tone.connect(gain).connect(out);
    tone.start();
    const track = out.stream.getAudioTracks()[0]!;
    scope.testSecondMicTracks.push(track.id);
    return track;
  };
  const magentaCamera = () => {
    const canvas = Object.assign(document.createElement('canvas'), { width: 640, height: 360 });
    const g = canvas.getContext('2d')!;
    let n = 0;
    // A canvas stream sends a frame when the canvas changes: keep it moving.
    setInterval(() => {
      g.fillStyle = '#ff00ff';
      g.fillRect(0, 0, 640, 360);
      g.fillStyle = '#000';
      g.fillRect((n++ * 8) % 640, 0, 16, 16);
    }, 33);
    return canvas.captureStream(30).getVideoTracks()[0]!;
  };
  const wanted = (c: boolean | MediaTrackConstraints | undefined) =>
    typeof c === 'object' ? (c.deviceId as { exact?: string } | undefined)?.exact : undefined;
  media.getUserMedia = async (constraints) => {
    const mic = wanted(constraints?.audio);
    const cam = wanted(constraints?.video);
    if (mic === 'test-busy-mic' || cam === 'test-busy-camera')
      throw new DOMException('Could not start audio source', 'NotReadableError');
    const ownMic = mic === 'test-second-mic';
    const ownCam = cam === 'test-magenta-camera';
    const rest = {
      audio: ownMic ? false : (constraints?.audio ?? false),
      video: ownCam ? false : (constraints?.video ?? false),
    };
    const stream = rest.audio || rest.video ? await open(rest) : new MediaStream();
    if (ownMic) stream.addTrack(secondMic());
    if (ownCam) stream.addTrack(magentaCamera());
    return stream;
  };
}

/** Installed after `moreDevices`: no microphone or camera opens but the ones named by ID. */
export function nothingByDefault(): void {
  const media = navigator.mediaDevices;
  const open = media.getUserMedia.bind(media);
  const named = (c: boolean | MediaTrackConstraints | undefined) =>
    !c || (typeof c === 'object' && !!(c.deviceId as { exact?: string } | undefined)?.exact);
  media.getUserMedia = async (constraints) => {
    if (!named(constraints?.audio) || !named(constraints?.video))
      throw new DOMException('Requested device not found', 'NotFoundError');
    return open(constraints);
  };
}
