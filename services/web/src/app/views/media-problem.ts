/**
 * The pre-join page's notice when the camera or microphone did not open: what happened to each,
 * what to do, a Try again button, and that joining without them works.
 */
import { h } from '../dom.ts';
import type { UserError } from '../errors.ts';
import type { MediaAccess } from '../media-access.ts';
import { icon } from './icons.ts';

export function mediaProblem(problems: MediaAccess['problems'], retry: () => void): HTMLElement | null {
  const { mic, camera } = problems;
  if (!mic && !camera) return null;
  // One cause for both (blocked, none found): said once.
  const same = mic && camera && mic.title === camera.title;
  const items: UserError[] = same ? [mic] : [mic, camera].filter((p): p is UserError => !!p);
  const joinWithout =
    same || (mic && camera)
      ? 'You can join without camera and microphone.'
      : mic
        ? 'You can join with your camera only.'
        : 'You can join with your microphone only.';
  return h(
    'div',
    { class: 'media-problem' },
    icon('alert'),
    h(
      'div',
      null,
      items.map((p) => h('p', null, h('strong', null, `${p.title}. `), p.detail)),
      h('p', { class: 'muted' }, joinWithout),
      h(
        'button',
        { type: 'button', class: 'button small', id: 'media-retry', onclick: retry },
        icon('retry'),
        'Try again',
      ),
    ),
  );
}
