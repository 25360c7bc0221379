import { CameraEffect } from '../background/camera-effect.ts';
import { backgroundControl } from '../background/control.ts';
import { h, replace } from '../dom.ts';
import { openMedia } from '../media-access.ts';
import {
  denoiseStream,
  microphoneOf,
  noiseSuppressionWanted,
  rememberNoiseSuppression,
  retire,
} from '../noise/mic-noise.ts';
import { mediaProblem } from './media-problem.ts';
import { micLevel } from './mic-level.ts';

export interface PrejoinChoice {
  name: string;
  stream: MediaStream;
}

/** Name, preview and device choice; resolves when the person presses Join. */
export function prejoinView(
  root: HTMLElement,
  meetingId: string,
  isHost: boolean,
  signal: AbortSignal,
): Promise<PrejoinChoice> {
  return new Promise((resolve) => {
    let stream = new MediaStream();
    let starting: Promise<void> = Promise.resolve();
    const preview = h('video', {
      class: 'preview mirrored',
      autoplay: true,
      muted: true,
      playsInline: true,
      'aria-label': 'Your camera preview',
    });
    // Why the camera or microphone is missing, and a way to ask again (media-problem.ts).
    const mediaError = h('div', { id: 'media-error', role: 'alert' });
    // The preview shows the camera with the chosen background, as the others will see it.
    const showPreview = () => {
      const camera = stream.getVideoTracks()[0];
      preview.srcObject = camera ? new MediaStream([effect.output(camera)]) : stream;
    };
    const effect = new CameraEffect((message) => {
      background.tell(message);
      showPreview();
      background.show(effect.background);
    });
    const background = backgroundControl(
      'background-select',
      () => effect.background,
      (chosen) => {
        effect.set(chosen);
        showPreview();
      },
    );
    const micSelect = h('select', { id: 'mic-select' });
    const camSelect = h('select', { id: 'cam-select' });
    const micOn = h('input', { type: 'checkbox', id: 'mic-on', checked: true });
    const camOn = h('input', { type: 'checkbox', id: 'cam-on', checked: true });
    const noiseOn = h('input', { type: 'checkbox', id: 'noise-on', checked: noiseSuppressionWanted() });
    // The selected microphone's level, empty while the microphone is off.
    const level = micLevel('mic-level');
    const showLevel = () => level.follow(micOn.checked ? stream.getAudioTracks()[0] : undefined);
    const name = h('input', {
      id: 'display-name',
      maxLength: 64,
      required: true,
      autocomplete: 'nickname',
      placeholder: 'Your name',
    });

    const fillDevices = async () => {
      const devices = await navigator.mediaDevices.enumerateDevices();
      const opts = (kind: MediaDeviceKind, current?: string) =>
        devices
          .filter((d) => d.kind === kind)
          .map((d, i) =>
            h(
              'option',
              { value: d.deviceId, selected: d.deviceId === current },
              d.label || `${kind} ${i + 1}`,
            ),
          );
      const mic = stream.getAudioTracks()[0];
      replace(micSelect, opts('audioinput', mic && microphoneOf(mic).getSettings().deviceId));
      replace(camSelect, opts('videoinput', stream.getVideoTracks()[0]?.getSettings().deviceId));
    };
    const start = async (audioId?: string, videoId?: string) => {
      for (const t of stream.getTracks()) t.stop();
      const access = await openMedia(audioId, videoId);
      stream = access.stream;
      await denoise();
      if (signal.aborted) for (const t of stream.getTracks()) t.stop();
      replace(
        mediaError,
        mediaProblem(access.problems, () => {
          starting = start(micSelect.value || undefined, camSelect.value || undefined);
        }),
      );
      showPreview();
      preview.classList.toggle('no-camera', stream.getVideoTracks().length === 0);
      showLevel();
      await fillDevices().catch(() => {});
    };
    // The meter shows what will be sent: denoised or not, as the person chose.
    const denoise = async () => {
      const swapped = await denoiseStream(stream, noiseOn.checked);
      if (swapped) retire(swapped.old, swapped.now);
    };
    noiseOn.addEventListener('change', () => {
      rememberNoiseSuppression(noiseOn.checked);
      starting = starting.then(denoise).then(showLevel);
    });
    micSelect.addEventListener('change', () => {
      starting = start(micSelect.value, camSelect.value);
    });
    camSelect.addEventListener('change', () => {
      starting = start(micSelect.value, camSelect.value);
    });
    micOn.addEventListener('change', showLevel);
    camOn.addEventListener('change', () => preview.classList.toggle('off', !camOn.checked));

    const form = h(
      'form',
      {
        class: 'card prejoin',
        'aria-labelledby': 'prejoin-title',
        onsubmit: (e: Event) => {
          e.preventDefault();
          const n = name.value.trim();
          if (!n) return name.focus();
          performance.mark('conclave:join-clicked');
          level.stop();
          // Join may be pressed before the camera answered: wait for it, then hand it over.
          void starting.then(() => {
            level.stop();
            for (const t of stream.getAudioTracks()) t.enabled = micOn.checked;
            for (const t of stream.getVideoTracks()) t.enabled = camOn.checked;
            const camera = stream.getVideoTracks()[0];
            if (camera) effect.handOver(camera);
            else effect.stop();
            resolve({ name: n, stream });
          });
        },
      },
      h('h1', { id: 'prejoin-title' }, isHost ? 'Start your meeting' : 'Join the meeting'),
      h('p', { class: 'muted' }, `Meeting ${meetingId} · end-to-end encrypted`),
      h('div', { class: 'preview-wrap' }, preview),
      level.el,
      mediaError,
      h('label', { for: 'display-name' }, 'Display name (only people in the meeting can read it)'),
      name,
      h(
        'div',
        { class: 'devices' },
        h('label', { for: 'mic-select' }, 'Microphone'),
        micSelect,
        h('label', { for: 'cam-select' }, 'Camera'),
        camSelect,
        background.el,
      ),
      h(
        'div',
        // Three switches: on a phone the last goes to the next line.
        { class: 'row wrap' },
        h('label', { class: 'check' }, micOn, ' Microphone on'),
        h('label', { class: 'check' }, camOn, ' Camera on'),
        h('label', { class: 'check' }, noiseOn, ' Noise suppression'),
      ),
      h('button', { type: 'submit', class: 'button primary', id: 'join-button' }, isHost ? 'Start' : 'Join'),
    );
    replace(root, form);
    performance.mark('conclave:prejoin-shown');
    name.focus();
    // Leaving the pre-join screen for an error page: release the camera.
    signal.addEventListener('abort', () => {
      level.stop();
      effect.stop();
      for (const t of stream.getTracks()) t.stop();
    });
    starting = start();
  });
}
