/**
 * Recording in the page: the record button, the indicator everyone sees while anyone records,
 * the hosts' Allow / Deny prompt when participants must ask, and at the end the file's download
 * and the chat as text. The recording itself is local (recording/); who records is told over
 * MLS (meeting/recording-notices.ts).
 */
import { announce, h, replace } from '../../dom.ts';
import { downloadBlob } from '../../download.ts';
import { describeError } from '../../errors.ts';
import type { Meeting } from '../../meeting/meeting.ts';
import { LocalRecorder, recordingMimeType } from '../../recording/local-recorder.ts';
import { openSink } from '../../recording/sink.ts';
import { chatTranscript } from '../../recording/transcript.ts';
import { type ControlButton, type ControlState, controlButton } from './control-button.ts';

export interface RecordingView {
  button: ControlButton;
  /** The indicator, in the header. */
  banner: HTMLElement;
  /** Hosts: requests to record; everyone: the saved recording's notice. */
  tray: HTMLElement;
  render(): void;
  /** The meeting is over: a recording still running is stopped and saved. */
  ended(): void;
}

const MEMORY_NOTE =
  'This browser has no private file storage: the recording is kept in memory, keep it short.';

/** "Ada is recording", "You and Ada are recording", "Ada, Bo and Cy are recording". */
function whoRecords(names: string[]): string {
  if (names.length === 0) return '';
  const list = names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  return `${list} ${names.length === 1 && names[0] !== 'You' ? 'is' : 'are'} recording`;
}

export function recordingView(
  meeting: Meeting,
  grid: HTMLElement,
  toast: (text: string) => void,
): RecordingView {
  const notices = meeting.recording;
  let recorder: LocalRecorder | undefined;
  let busy = false;
  const stamp = () => new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-');
  const fileBase = () => `conclave-${meeting.link.meetingId}-${stamp()}`;

  const state = (): ControlState =>
    recorder
      ? { icon: 'recordStop', label: 'Stop recording', tip: 'Stop and save the recording', pressed: true }
      : {
          icon: 'record',
          label: 'Record',
          tip:
            notices.askFirst && !meeting.isHost
              ? 'Ask the host to record this meeting on this device'
              : 'Record this meeting on this device (everyone is told)',
          pressed: false,
        };
  const button = controlButton('toggle-record', state(), () => void (recorder ? stop() : start()));
  const bannerText = h('span');
  const banner = h(
    'p',
    { class: 'badge attention recording', id: 'recording-banner', hidden: true },
    h('span', { class: 'rec-dot', 'aria-hidden': 'true' }),
    bannerText,
  );
  const requests = h('div', { id: 'recording-requests', role: 'group', 'aria-label': 'Requests to record' });
  const saved = h('div', { id: 'recording-saved', role: 'status' });
  const tray = h('div', { class: 'recording-tray' }, requests, saved);

  async function start(): Promise<void> {
    if (busy || recorder || meeting.ended) return;
    const mimeType = recordingMimeType();
    if (!mimeType) return toast('This browser cannot record (no WebM recording).');
    busy = true;
    try {
      // The file picker needs the click itself: it is offered only when no question comes first.
      const asking = notices.askFirst && !meeting.isHost;
      if (asking) {
        toast('Asking the host to allow recording…');
        const answer = await notices.permission();
        if (answer !== 'allowed') {
          toast(
            answer === 'denied'
              ? 'The host did not allow recording.'
              : 'No host answered: recording did not start.',
          );
          return;
        }
      }
      const sink = await openSink(`${fileBase()}.webm`, mimeType, !asking);
      if (meeting.ended) return void sink.discard();
      recorder = new LocalRecorder(
        {
          grid,
          audioTracks: () => [
            ...meeting.local.stream.getAudioTracks(),
            ...[...meeting.remote.tracks.values()]
              .filter((t) => t.consumer.kind === 'audio')
              .map((t) => t.consumer.track),
          ],
        },
        sink,
        mimeType,
        (e) => {
          toast(`Recording stopped: ${describeError(e).title}`);
          void stop();
        },
      );
      notices.started();
      replace(saved);
      toast(sink.kind === 'memory' ? `Recording started. ${MEMORY_NOTE}` : 'Recording started');
    } catch (e) {
      toast(`Recording did not start: ${describeError(e).title}`);
    } finally {
      busy = false;
      render();
    }
  }

  async function stop(): Promise<void> {
    const running = recorder;
    if (!running) return;
    recorder = undefined;
    notices.stopped();
    render();
    const minutes = Math.max(1, Math.round((Date.now() - running.startedAt) / 60_000));
    const file = await running.stop().catch((e: unknown) => {
      toast(`The recording could not be saved: ${describeError(e).title}`);
      return null;
    });
    if (file === null) return;
    if (file) downloadBlob(file, running.sink.name);
    if (meeting.ended) return;
    replace(
      saved,
      h(
        'p',
        null,
        file
          ? `Recording saved to your downloads (${minutes} min). `
          : `Recording saved to ${running.sink.name}. `,
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'button small',
          id: 'save-chat',
          onclick: () =>
            downloadBlob(
              new Blob([chatTranscript(meeting.link.meetingId, meeting.people.chat)], { type: 'text/plain' }),
              `${fileBase()}-chat.txt`,
            ),
        },
        'Save chat as text',
      ),
      h('button', { type: 'button', class: 'button small', onclick: () => replace(saved) }, 'Dismiss'),
    );
    announce('Recording stopped and saved');
  }

  function renderRequests(): void {
    const key = notices.requests.map((r) => `${r.id}:${notices.nameOf(r.leaf)}`).join('|');
    if (requests.dataset['key'] === key) return;
    requests.dataset['key'] = key;
    replace(
      requests,
      notices.requests.map((r) =>
        h(
          'div',
          { class: 'recording-request', 'data-request': r.id },
          h('p', null, `${notices.nameOf(r.leaf)} asks to record the meeting on their device.`),
          h(
            'button',
            {
              type: 'button',
              class: 'button small',
              'data-action': 'allow-recording',
              onclick: () => void notices.answer(r.id, true),
            },
            'Allow',
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'button small danger',
              'data-action': 'deny-recording',
              onclick: () => void notices.answer(r.id, false),
            },
            'Deny',
          ),
        ),
      ),
    );
  }

  function render(): void {
    button.set(state());
    button.el.disabled = busy;
    const names = [
      ...(recorder ? ['You'] : []),
      ...[...notices.recorders].sort((a, b) => a - b).map((leaf) => notices.nameOf(leaf)),
    ];
    const text = whoRecords(names) + (recorder?.sink.kind === 'memory' ? ` (${MEMORY_NOTE})` : '');
    if (bannerText.textContent !== text) bannerText.textContent = text;
    banner.hidden = names.length === 0;
    renderRequests();
  }

  return { button, banner, tray, render, ended: () => void stop() };
}
