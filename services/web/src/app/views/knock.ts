/**
 * The page of a locked meeting: ask the host to be let in. The name is sealed here with the
 * meeting's name key, so the server passes it on without being able to read it.
 */
import { type MeetingLink, type MeetingSecrets, sealDisplayName } from '@conclave/e2ee';
import type { JoinGranted } from '@conclave/protocol';
import { ApiError, knock, waitForAdmission, withdrawKnock } from '../api.ts';
import { announce, h, replace } from '../dom.ts';
import { describeError } from '../errors.ts';
import { retryWhenRateLimited } from '../rate-limit-retry.ts';
import { visibleRateLimitWait } from './common.ts';

export interface Admission {
  name: string;
  granted: JoinGranted;
}

type KnockState = 'form' | 'waiting' | 'denied' | 'expired' | 'admitted' | 'failed';

/** Resolves once the host lets this person in. */
export function knockView(root: HTMLElement, link: MeetingLink, secrets: MeetingSecrets): Promise<Admission> {
  return new Promise((resolve) => {
    let typed = '';
    const setState = (state: KnockState) => {
      root.dataset['knock'] = state;
    };

    function form(message?: { text: string; alert: boolean }): void {
      setState(message ? (root.dataset['knock'] as KnockState) : 'form');
      const name = h('input', {
        id: 'knock-name',
        maxLength: 64,
        required: true,
        autocomplete: 'nickname',
        placeholder: 'Your name',
        value: typed,
      });
      const error = h('p', { class: 'error', role: 'alert', id: 'knock-error' });
      replace(
        root,
        h(
          'section',
          { class: 'card center knock', 'aria-labelledby': 'knock-title' },
          h('h1', { id: 'knock-title', class: 'error-title' }, 'This meeting is locked'),
          message
            ? h('p', { id: 'knock-outcome', role: message.alert ? 'alert' : 'status' }, message.text)
            : h(
                'p',
                null,
                'The host has locked the meeting. You can ask to join: the host sees the name you give here and decides. Your name is encrypted so that only people in the meeting can read it.',
              ),
          h(
            'form',
            {
              class: 'knock-form',
              onsubmit: (e: Event) => {
                e.preventDefault();
                typed = name.value.trim();
                if (!typed) return name.focus();
                void ask(typed, error);
              },
            },
            h('label', { for: 'knock-name' }, 'Display name'),
            name,
            error,
            h(
              'button',
              { type: 'submit', class: 'button primary', id: 'ask-to-join' },
              message ? 'Ask again' : 'Ask to join',
            ),
          ),
        ),
      );
      name.focus();
    }

    async function ask(name: string, error: HTMLElement): Promise<void> {
      let opened: Awaited<ReturnType<typeof knock>>;
      try {
        const sealed = await sealDisplayName(secrets.nameKey, link.meetingId, name);
        opened = await retryWhenRateLimited(
          () => knock(link.meetingId, secrets.srpSecret, sealed),
          visibleRateLimitWait,
        );
      } catch (e) {
        if (e instanceof ApiError && e.code === 'meeting_not_locked') {
          // Unlocked meanwhile: a normal join works again.
          location.reload();
          return;
        }
        const d =
          e instanceof ApiError && e.code === 'lobby_full'
            ? { title: 'Too many people are waiting', detail: 'Try again in a few minutes.' }
            : describeError(e);
        error.textContent = `${d.title}. ${d.detail}`;
        return;
      }
      const abort = new AbortController();
      setState('waiting');
      const cancel = h(
        'button',
        {
          type: 'button',
          class: 'button',
          id: 'cancel-knock',
          onclick: () => {
            abort.abort();
            void withdrawKnock(link.meetingId, opened.knockId, opened.knockSecret).catch(() => {});
            form();
          },
        },
        'Cancel',
      );
      replace(
        root,
        h(
          'section',
          { class: 'card center knock', 'aria-labelledby': 'knock-title' },
          h('h1', { id: 'knock-title' }, 'Waiting for the host…'),
          h(
            'p',
            { role: 'status', id: 'knock-status' },
            `You asked to join as ${name}. The host will let you in or not; this page joins by itself.`,
          ),
          h('div', { class: 'spinner', 'aria-hidden': 'true' }),
          cancel,
        ),
      );
      announce('Waiting for the host to let you in');
      cancel.focus();
      for (let failures = 0; !abort.signal.aborted; ) {
        try {
          const granted = await waitForAdmission(
            link.meetingId,
            opened.knockId,
            opened.knockSecret,
            abort.signal,
          );
          failures = 0;
          if (!granted) continue;
          setState('admitted');
          announce('The host let you in');
          resolve({ name, granted });
          return;
        } catch (e) {
          if (abort.signal.aborted) return;
          const code = e instanceof ApiError ? e.code : '';
          if (code === 'knock_denied') {
            setState('denied');
            return form({ text: 'The host did not let you in.', alert: true });
          }
          if (code === 'knock_expired' || code === 'meeting_not_found') {
            setState('expired');
            return form({
              text:
                code === 'meeting_not_found'
                  ? 'The meeting has ended.'
                  : 'Nobody answered in time. You can ask again.',
              alert: true,
            });
          }
          if (failures++ > 5) {
            setState('failed');
            return form({ text: `${describeError(e).title}. Try again.`, alert: true });
          }
          await new Promise((r) => setTimeout(r, 1000 * failures));
        }
      }
    }

    form();
  });
}
