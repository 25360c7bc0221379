/** What each failure means for the person in front of the screen. */
import { isE2eeError } from '@conclave/e2ee';
import { ApiError } from './api.ts';
import { DsClosedError, outdatedClose } from './mls-session.ts';
import { isOffline } from './views/offline-notice.ts';

export interface UserError {
  title: string;
  detail: string;
}

const API_MESSAGES: Record<string, UserError> = {
  wrong_password: {
    title: 'This link is not valid',
    detail: 'The password in the link is wrong. Ask the host for the link again and paste it whole.',
  },
  meeting_not_found: {
    title: 'This meeting does not exist',
    detail: 'It may have ended, expired or had its link changed by the host.',
  },
  meeting_locked: {
    title: 'This meeting is locked',
    detail: 'The host has locked the meeting. Ask them to unlock it, then try again.',
  },
  meeting_not_ready: { title: 'This meeting is not ready yet', detail: 'Try again in a moment.' },
  meeting_not_started: { title: 'This meeting has not started yet', detail: 'Try again at its start time.' },
  wrong_host_secret: {
    title: 'This host link is not valid',
    detail: 'The host part of the link is wrong. Use the participant link or ask for the host link again.',
  },
  rate_limited: { title: 'Too many attempts', detail: 'Wait a minute and try again.' },
  network: { title: 'The server cannot be reached', detail: 'Check your connection and try again.' },
};

/** `device`: which device failed, when it is known (the camera or microphone alone). */
export function describeError(error: unknown, device?: 'camera' | 'microphone'): UserError {
  if (isE2eeError(error)) {
    if (error.code.startsWith('LINK_'))
      return {
        title: 'This link is not valid',
        detail:
          'The meeting link is incomplete or damaged. Copy the whole link, including everything after #.',
      };
    if (error.code === 'SRP_SERVER_PROOF_MISMATCH')
      return {
        title: 'The server could not prove it knows this meeting',
        detail: 'Do not continue: the server may not be the one the host used.',
      };
  }
  if (error instanceof DsClosedError && outdatedClose(error.code, error.reason))
    return END_MESSAGES['outdated']!;
  if (error instanceof ApiError) {
    if (error.code === 'network' && isOffline())
      return { title: 'You are offline', detail: 'Connect to the internet and try again.' };
    return API_MESSAGES[error.code] ?? { title: 'The meeting could not be joined', detail: error.message };
  }
  if (error instanceof DOMException) {
    const media = mediaError(error.name, device);
    if (media) return media;
  }
  return {
    title: 'Something went wrong',
    detail: error instanceof Error ? error.message : 'Try again.',
  };
}

/** getUserMedia's failures, for the device that failed (or both when it is not known). */
function mediaError(name: string, device?: 'camera' | 'microphone'): UserError | undefined {
  const what =
    device === 'camera'
      ? 'Your camera'
      : device === 'microphone'
        ? 'Your microphone'
        : 'Your camera or microphone';
  const noun = device ?? 'camera or microphone';
  switch (mediaFailure({ name })) {
    case 'blocked':
      return {
        title: device ? `${what} is blocked` : 'Camera and microphone are blocked',
        detail:
          'Allow access in your browser’s site settings (the icon beside the address), then try again. You can also join without them.',
      };
    case 'missing':
      return { title: `No ${noun} found`, detail: 'Connect one and try again, or join without it.' };
    case 'busy':
      return {
        title: `${what} is in use`,
        detail: 'Another app or browser tab may be using it. Close it, then try again, or join without it.',
      };
    case 'gone':
      return { title: `${what} is not available`, detail: 'It may have been unplugged. Choose another one.' };
    default:
      return undefined;
  }
}

/** Why a camera, microphone or speaker did not open, read from the error's name. */
export type MediaFailure = 'blocked' | 'missing' | 'busy' | 'gone';

export function mediaFailure(error: unknown): MediaFailure | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'blocked';
  if (name === 'NotFoundError') return 'missing';
  // Held by another app (a video call elsewhere), or the system would not start it;
  // TrackStartError is an older Chrome's name for it.
  if (name === 'NotReadableError' || name === 'AbortError' || name === 'TrackStartError') return 'busy';
  if (name === 'OverconstrainedError') return 'gone';
  return undefined;
}

export const END_MESSAGES: Record<string, UserError> = {
  left: { title: 'You left the meeting', detail: 'Open the link again to rejoin.' },
  removed: { title: 'You were removed from the meeting', detail: 'The host removed you from this meeting.' },
  ended: { title: 'The meeting has ended', detail: 'The host ended the meeting for everyone.' },
  lost: {
    title: 'The connection was lost',
    detail:
      'The meeting could not be reached again, or this device missed too much of it to catch up. Rejoin to continue.',
  },
  refused: { title: 'You cannot rejoin this meeting', detail: 'The host removed you.' },
  outdated: {
    title: 'This page is out of date',
    detail: 'The meeting service was updated since this page was loaded. Reload the page to rejoin.',
  },
};
