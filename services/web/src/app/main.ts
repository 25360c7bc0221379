/**
 * Entry point: `/` is the home page, `/m/<meetingId>#<password>[.<hostSecret>]` a meeting.
 * The fragment is read and taken out of the address bar at once (link-memory.ts); it is never
 * sent, logged or reported.
 */
import type { MeetingLink } from '@conclave/e2ee';
import { h, replace } from './dom.ts';
import { describeError } from './errors.ts';
import { type JoinTicket, JoinTickets } from './join-ticket.ts';
import { registerServiceWorker } from './installable.ts';
import { takeMeetingLink } from './link-memory.ts';
import { Meeting } from './meeting/meeting.ts';
import { encodedTransformSupport } from './media-crypto.ts';
import { mediaHandlerSupport } from './sfu-session.ts';
import { errorPage } from './views/common.ts';
import { homeView } from './views/home.ts';
import { knockView } from './views/knock.ts';
import { meetingView } from './views/meeting/meeting-view.ts';
import { prejoinView } from './views/prejoin.ts';

const root = document.getElementById('app')!;
document.body.appendChild(
  h('div', { id: 'announcer', class: 'sr-only', 'aria-live': 'polite', role: 'status' }),
);

function unsupported(): HTMLElement {
  return errorPage(
    {
      title: 'This browser cannot join encrypted meetings',
      detail:
        'Conclave encrypts every audio and video frame in your browser and never falls back to an unencrypted call. ' +
        'This browser lacks encoded media transforms or is too old: use a current Chrome, Edge, Firefox (120 or later) or Safari.',
    },
    { label: 'Home', href: '/' },
  );
}

async function meetingPage(): Promise<void> {
  let link: MeetingLink;
  try {
    link = takeMeetingLink();
  } catch (error) {
    replace(root, errorPage(describeError(error), { label: 'Home', href: '/' }));
    return;
  }
  if (!encodedTransformSupport() || typeof RTCPeerConnection !== 'function' || !mediaHandlerSupport()) {
    replace(root, unsupported());
    root.dataset['unsupported'] = 'true';
    return;
  }
  // The SRP handshake runs while the person types a name; its failure ends the pre-join.
  const abort = new AbortController();
  const tickets = JoinTickets.open(link);
  const ticket = tickets.then((t) => t.obtain());
  const failed = ticket.then(
    () => new Promise<never>(() => {}),
    (error: unknown) => {
      abort.abort();
      throw error;
    },
  );
  let choice: Awaited<ReturnType<typeof prejoinView>>;
  try {
    const isHost = link.hostSecret !== undefined;
    choice = await Promise.race([prejoinView(root, link.meetingId, isHost, abort.signal), failed]);
  } catch (error) {
    if ((error as { code?: string }).code === 'meeting_locked') {
      root.dataset['error'] = 'meeting_locked';
      await lockedMeeting(await tickets);
      return;
    }
    replace(root, errorPage(describeError(error), { label: 'Try again' }));
    root.dataset['error'] = (error as { code?: string }).code ?? 'error';
    return;
  }
  await enterMeeting(await tickets, choice.name, choice.stream, ticket);
}

/** Knock, wait for the host, then join with the token the admission carries. */
async function lockedMeeting(tickets: JoinTickets): Promise<void> {
  const admission = await knockView(root, tickets.link, tickets.secrets);
  delete root.dataset['error'];
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: true,
      video: { width: { ideal: 1280 }, height: { ideal: 720 } },
    });
  } catch {
    stream = new MediaStream();
  }
  await enterMeeting(tickets, admission.name, stream, Promise.resolve(tickets.admitted(admission.granted)));
}

async function enterMeeting(
  tickets: JoinTickets,
  name: string,
  stream: MediaStream,
  ticket: Promise<JoinTicket>,
): Promise<void> {
  const choice = { name, stream };
  replace(
    root,
    h(
      'section',
      { class: 'card center', role: 'status' },
      h('p', null, 'Joining with end-to-end encryption…'),
    ),
  );
  let meeting: Meeting | undefined;
  try {
    meeting = new Meeting(tickets, choice.name, choice.stream);
    (globalThis as Record<string, unknown>)['conclaveDiagnostics'] = () => meeting!.diagnostics();
    await meeting.join(await ticket);
    meetingView(root, meeting);
  } catch (error) {
    meeting?.leave();
    for (const t of choice.stream.getTracks()) t.stop();
    // Locked while this page was on its way in: ask the host instead.
    if ((error as { code?: string }).code === 'meeting_locked') {
      root.dataset['error'] = 'meeting_locked';
      return lockedMeeting(tickets);
    }
    replace(root, errorPage(describeError(error), { label: 'Try again' }));
    root.dataset['error'] = (error as { code?: string }).code ?? 'error';
  }
}

if (location.pathname === '/' || location.pathname === '') {
  homeView(root);
  registerServiceWorker();
} else if (location.pathname.startsWith('/m/')) {
  // A link for this same address pasted into the address bar only changes the fragment: start over.
  window.addEventListener('hashchange', () => location.reload());
  void meetingPage();
} else
  replace(
    root,
    errorPage({ title: 'Page not found', detail: 'Check the address.' }, { label: 'Home', href: '/' }),
  );
