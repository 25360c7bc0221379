/**
 * The settings panel: which microphone, camera and speaker the meeting uses, changed during the
 * call, with the microphone's level; and how many video tiles a page of the grid holds. The lists follow devices plugged in or out. Device names
 * and IDs stay in this page: nothing here is sent, logged or stored.
 */
import { backgroundControl } from '../../background/control.ts';
import { h, replace } from '../../dom.ts';
import { mediaFailure } from '../../errors.ts';
import { canChooseSpeaker } from '../../meeting/audio-output.ts';
import type { Meeting } from '../../meeting/meeting.ts';
import { noiseSuppressionWanted } from '../../noise/mic-noise.ts';
import { micLevel } from '../mic-level.ts';
import { tilesPerPageControl } from './tiles-per-page.ts';

export interface SettingsPanel {
  el: HTMLElement;
  /** Shows the current choices; measures the microphone and follows device changes only while open. */
  render(open: boolean): void;
}

type Device = 'microphone' | 'camera' | 'speaker';

/** What a failed choice means, for the person who made it. */
export function deviceFailure(device: Device, error: unknown): string {
  const still = `The previous ${device} is still in use.`;
  switch (mediaFailure(error)) {
    case 'busy':
      return `This ${device} could not be opened: another app may be using it. ${still}`;
    case 'missing':
    case 'gone':
      return `This ${device} is no longer connected. ${still}`;
    case 'blocked':
      return `The browser did not allow this ${device}. ${still}`;
    default:
      return `This ${device} could not be used. ${still}`;
  }
}

/** `tilesChanged`: the grid's page size was chosen again. */
export function settingsPanel(meeting: Meeting, tilesChanged: () => void): SettingsPanel {
  const { local, speaker } = meeting;
  const micSelect = h('select', { id: 'settings-mic' });
  const camSelect = h('select', { id: 'settings-cam' });
  const speakerSelect = canChooseSpeaker() ? h('select', { id: 'settings-speaker' }) : undefined;
  const level = micLevel('settings-mic-level');
  // What is behind the person on their camera (background/): applied at once, same producer.
  const background = backgroundControl(
    'settings-background',
    () => local.effect.background,
    (chosen) => local.setBackground(chosen),
  );
  const error = h('p', { class: 'error', role: 'alert', id: 'settings-error' });
  const noise = h('input', { type: 'checkbox', id: 'settings-noise' });
  const noiseNote = h(
    'p',
    { class: 'muted', id: 'settings-noise-note', hidden: true },
    'Noise suppression cannot run in this browser: its own noise reduction is used instead.',
  );
  let devices: MediaDeviceInfo[] = [];
  let open = false;
  /** A choice being made: the selects show it, not the device in use, until it is done. */
  let choosing = false;

  /** The device IDs each list shows, to rebuild a list only when its devices changed. */
  const listed = new WeakMap<HTMLSelectElement, string>();

  const fill = (select: HTMLSelectElement, kind: MediaDeviceKind, fallback: string) => {
    const list = devices.filter((d) => d.kind === kind && d.deviceId);
    const ids = list.map((d) => d.deviceId).join('\n');
    if (listed.get(select) === ids) return;
    listed.set(select, ids);
    replace(
      select,
      list.map((d, i) => h('option', { value: d.deviceId }, d.label || `${fallback} ${i + 1}`)),
    );
  };

  /** Shows the device in use; one the list does not name (the browser's default) leaves the first. */
  const show = (select: HTMLSelectElement, current: string | undefined) => {
    const wanted = current || 'default';
    if ([...select.options].some((o) => o.value === wanted)) select.value = wanted;
  };

  function sync(): void {
    if (!open || choosing) return;
    fill(micSelect, 'audioinput', 'Microphone');
    fill(camSelect, 'videoinput', 'Camera');
    if (speakerSelect) fill(speakerSelect, 'audiooutput', 'Speaker');
    speakerField.hidden = !speakerSelect?.options.length;
    noSpeaker.hidden = !speakerField.hidden;
    show(micSelect, local.microphone);
    show(camSelect, local.camera);
    if (speakerSelect) show(speakerSelect, speaker.deviceId);
    background.show(local.effect.background);
    level.follow(local.stream.getAudioTracks()[0]);
    noise.checked = noiseSuppressionWanted();
    noiseNote.hidden = local.noise !== 'unavailable' || !local.stream.getAudioTracks().length;
  }

  async function refresh(): Promise<void> {
    devices = (await navigator.mediaDevices?.enumerateDevices().catch(() => [])) ?? [];
    sync();
  }
  const devicesChanged = () => void refresh();

  /** Makes one choice; a failure is told in the panel and the device in use stays. */
  async function choose(device: Device, use: () => Promise<void>): Promise<void> {
    choosing = true;
    error.textContent = '';
    try {
      await use();
    } catch (e) {
      error.textContent = deviceFailure(device, e);
    } finally {
      choosing = false;
      sync();
    }
  }

  micSelect.addEventListener(
    'change',
    () => void choose('microphone', () => local.useMicrophone(micSelect.value)),
  );
  noise.addEventListener(
    'change',
    () => void choose('microphone', () => local.setNoiseSuppression(noise.checked)),
  );
  camSelect.addEventListener('change', () => void choose('camera', () => local.useCamera(camSelect.value)));
  speakerSelect?.addEventListener(
    'change',
    () => void choose('speaker', () => speaker.choose(speakerSelect.value)),
  );

  const field = (id: string, text: string, control: HTMLElement) => [h('label', { for: id }, text), control];
  const speakerField = h(
    'div',
    { hidden: true },
    speakerSelect && field('settings-speaker', 'Speaker', speakerSelect),
  );
  // Also where the browser lists no outputs (Firefox lists them only once one was chosen through its own prompt).
  const noSpeaker = h(
    'p',
    { class: 'muted', id: 'settings-no-speaker' },
    'This browser plays sound on its default device: choose the speaker in your system’s settings.',
  );
  const el = h(
    'section',
    { class: 'settings', 'aria-labelledby': 'settings-title' },
    h('h2', { id: 'settings-title' }, 'Settings'),
    field('settings-mic', 'Microphone', micSelect),
    level.el,
    h('label', { class: 'check' }, noise, ' Noise suppression'),
    noiseNote,
    field('settings-cam', 'Camera', camSelect),
    background.el,
    speakerField,
    noSpeaker,
    tilesPerPageControl(tilesChanged),
    error,
  );

  function render(nowOpen: boolean): void {
    if (nowOpen && !open) {
      navigator.mediaDevices?.addEventListener('devicechange', devicesChanged);
      void refresh();
    } else if (!nowOpen && open) {
      navigator.mediaDevices?.removeEventListener('devicechange', devicesChanged);
      level.stop();
      error.textContent = '';
    }
    open = nowOpen;
    sync();
  }

  return { el, render };
}
