/** What replaces the meeting once it is over: why, and the way back (or the room's new link). */
import { h, replace } from '../../dom.ts';
import { describeError, END_MESSAGES } from '../../errors.ts';
import { forgetMeetingLink } from '../../link-memory.ts';
import type { Meeting } from '../../meeting/meeting.ts';
import type { EndReason } from '../../meeting/types.ts';
import { errorPage } from '../common.ts';
import type { IconName } from '../icons.ts';
import type { LinkRotation } from './host-panel.ts';

/** What each ending looks like above its words. */
const SYMBOL: Record<EndReason, IconName> = {
  left: 'leave',
  ended: 'leave',
  removed: 'alert',
  refused: 'alert',
  lost: 'offline',
  outdated: 'retry',
};

export function showEnded(
  root: HTMLElement,
  meeting: Meeting,
  reason: EndReason,
  rotation: LinkRotation,
): void {
  // Left, lost or out of date: the button reloads this tab with the link it kept. Otherwise it is useless.
  const back = reason === 'left' || reason === 'lost' || reason === 'outdated';
  if (!back) forgetMeetingLink(meeting.link);
  if (rotation.fields) {
    const links = h('section', { class: 'card' }, h('p', { role: 'status' }, 'Making the new link…'));
    replace(
      root,
      errorPage({
        title: 'This room has a new link',
        detail: 'The old link no longer works. Share the new one.',
      }),
      links,
    );
    rotation.fields.then(
      (fields) => replace(links, fields),
      (error: unknown) =>
        replace(links, h('p', { class: 'error', role: 'alert' }, describeError(error).detail)),
    );
  } else {
    replace(
      root,
      errorPage(
        END_MESSAGES[reason]!,
        back ? { label: reason === 'outdated' ? 'Reload' : 'Rejoin' } : { label: 'Home', href: '/' },
        SYMBOL[reason],
      ),
    );
  }
  root.dataset['ended'] = reason;
}
