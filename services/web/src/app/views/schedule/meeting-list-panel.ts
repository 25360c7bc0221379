/**
 * The host's list of scheduled meetings, encrypted on this device under a passphrase: create,
 * unlock, lock, delete past entries or the whole list, export it as a file and import one (its
 * meetings are merged in by meeting ID, after the host confirms).
 */
import { h, replace } from '../../dom.ts';
import { DEFAULT_KDF, MeetingListError } from '../../schedule/meeting-list-codec.ts';
import { MeetingListStore, type OpenedImport } from '../../schedule/meeting-list-store.ts';
import type { ScheduledMeeting } from '../../schedule/scheduled-meeting.ts';
import { downloadBlob } from '../../download.ts';
import { CALENDAR_PRIVACY_NOTE, meetingDetails } from './meeting-details.ts';

const KDF_TEXT = `scrypt (N=2^${Math.log2(DEFAULT_KDF.N)}, r=${DEFAULT_KDF.r}, p=${DEFAULT_KDF.p}) and AES-256-GCM`;

const messageOf = (error: unknown) =>
  error instanceof MeetingListError
    ? error.message
    : `Something went wrong: ${(error as Error)?.message ?? error}`;

export interface MeetingListPanel {
  element: HTMLElement;
  /** Meetings just scheduled: saved at once when the list is open, else once it is. */
  offer(meetings: ScheduledMeeting[]): void;
}

export function meetingListPanel(store = new MeetingListStore()): MeetingListPanel {
  const body = h('div', { id: 'meeting-list-body' });
  const status = h('p', { id: 'list-status', role: 'status', 'aria-live': 'polite' });
  const error = h('p', { id: 'list-error', class: 'error', role: 'alert' });
  let pending: ScheduledMeeting[] = [];
  let importOpen = false;

  const say = (text: string) => {
    error.textContent = '';
    delete error.dataset['code'];
    status.textContent = text;
  };
  const fail = (e: unknown) => {
    status.textContent = '';
    error.textContent = messageOf(e);
    error.dataset['code'] = e instanceof MeetingListError ? e.code : 'error';
  };
  /** Runs a step that may take a second (the key derivation) with the buttons off. */
  const busy = async (text: string, step: () => Promise<void>) => {
    for (const b of body.querySelectorAll('button')) b.disabled = true;
    say(text);
    try {
      await step();
    } catch (e) {
      fail(e);
    }
    render();
  };

  const passphraseInput = (id: string, autocomplete: string) =>
    h('input', { id, type: 'password', autocomplete, required: true, minLength: 1 });

  const savePending = async () => {
    if (pending.length === 0) return;
    const added = await store.add(pending);
    pending = [];
    say(`Saved ${added} new meeting(s) in your list.`);
  };

  function createView(): HTMLElement[] {
    const pass = passphraseInput('list-passphrase', 'new-password');
    const again = passphraseInput('list-passphrase-again', 'new-password');
    return [
      h(
        'p',
        null,
        `Keep your scheduled meetings on this device, encrypted with a passphrase you choose (${KDF_TEXT}). Without the passphrase the list cannot be opened: there is no reset.`,
      ),
      h(
        'form',
        {
          onsubmit: (e: Event) => {
            e.preventDefault();
            if (pass.value !== again.value)
              return fail(new MeetingListError('passphrase_mismatch', 'The two passphrases differ.'));
            void busy('Deriving the key from your passphrase…', async () => {
              await store.create(pass.value, pending);
              const n = pending.length;
              pending = [];
              say(`List created${n ? ` with ${n} meeting(s)` : ''}.`);
            });
          },
        },
        h('label', { for: 'list-passphrase' }, 'New passphrase'),
        pass,
        h('label', { for: 'list-passphrase-again' }, 'Passphrase again'),
        again,
        h(
          'div',
          { class: 'row' },
          h('button', { type: 'submit', class: 'button primary', id: 'list-create' }, 'Create list'),
        ),
      ),
    ];
  }

  function lockedView(): HTMLElement[] {
    const pass = passphraseInput('list-passphrase', 'current-password');
    return [
      h('p', null, 'Your list of scheduled meetings is locked.'),
      h(
        'form',
        {
          onsubmit: (e: Event) => {
            e.preventDefault();
            void busy('Unlocking…', async () => {
              await store.unlock(pass.value);
              say('Unlocked.');
              await savePending();
            });
          },
        },
        h('label', { for: 'list-passphrase' }, 'Passphrase'),
        pass,
        h(
          'div',
          { class: 'row wrap' },
          h('button', { type: 'submit', class: 'button primary', id: 'list-unlock' }, 'Unlock'),
          deleteListButton(),
        ),
      ),
    ];
  }

  function unlockedView(): HTMLElement[] {
    const items = store.meetings.map((m) =>
      meetingDetails(
        m,
        'list',
        h(
          'button',
          {
            type: 'button',
            class: 'button small danger',
            'aria-label': `Delete ${m.title} from the list`,
            onclick: () =>
              void busy('Deleting…', async () => {
                await store.remove(m.meetingId);
                say('Deleted from the list.');
              }),
          },
          'Delete from list',
        ),
      ),
    );
    return [
      h(
        'div',
        { class: 'row wrap' },
        h(
          'button',
          {
            type: 'button',
            class: 'button',
            id: 'list-lock',
            onclick: () => {
              store.lock();
              say('Locked.');
              render();
            },
          },
          'Lock',
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'button',
            id: 'list-export',
            onclick: () => {
              const text = store.exportText();
              if (text)
                downloadBlob(new Blob([text], { type: 'application/json' }), 'conclave-meetings.json');
            },
          },
          'Export (encrypted file)',
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'button',
            id: 'list-remove-past',
            onclick: () =>
              void busy('Deleting past meetings…', async () =>
                say(`Deleted ${await store.removePast()} past meeting(s).`),
              ),
          },
          'Delete past meetings',
        ),
        deleteListButton(),
      ),
      items.length
        ? h(
            'div',
            null,
            h('p', { class: 'muted privacy-note' }, CALENDAR_PRIVACY_NOTE),
            h('ol', { class: 'scheduled-list', id: 'meeting-list' }, items),
          )
        : h('p', { class: 'muted', id: 'meeting-list-empty' }, 'No scheduled meetings in the list.'),
    ];
  }

  function deleteListButton(): HTMLElement {
    const button = h('button', { type: 'button', class: 'button danger', id: 'list-delete' }, 'Delete list');
    button.addEventListener('click', () => {
      replace(
        body,
        h(
          'p',
          { role: 'alert' },
          'Delete the whole list from this device? The meetings stay on the server until they expire; their links are lost unless they are elsewhere.',
        ),
        h(
          'div',
          { class: 'row' },
          h(
            'button',
            {
              type: 'button',
              class: 'button danger',
              id: 'list-delete-confirm',
              onclick: () => {
                store.deleteAll();
                say('The list was deleted.');
                render();
              },
            },
            'Delete for good',
          ),
          h('button', { type: 'button', class: 'button', onclick: render }, 'Cancel'),
        ),
      );
    });
    return button;
  }

  /** Import: choose a file, open it with its passphrase, then confirm before anything is stored. */
  function importView(): HTMLElement {
    const file = h('input', { id: 'list-import-file', type: 'file', accept: '.json,application/json' });
    const pass = passphraseInput('list-import-passphrase', 'off');
    const confirm = h('div', { id: 'list-import-confirm' });
    const open = async () => {
      const chosen = file.files?.[0];
      if (!chosen) return fail(new MeetingListError('malformed', 'Choose a file first.'));
      if (chosen.size > 5 * 2 ** 20)
        return fail(new MeetingListError('malformed', 'This file is too large to be a meeting list.'));
      if (store.state === 'locked')
        return fail(new MeetingListError('locked', 'Unlock your list first: the file is merged into it.'));
      say('Opening the file…');
      let opened: OpenedImport;
      try {
        opened = await store.openImport(await chosen.text(), pass.value);
      } catch (e) {
        return fail(e);
      }
      const known = new Set(store.meetings.map((m) => m.meetingId));
      const fresh = opened.meetings.filter((m) => !known.has(m.meetingId)).length;
      say('');
      replace(
        confirm,
        h(
          'p',
          null,
          store.state === 'none'
            ? `The file holds ${opened.meetings.length} meeting(s). Keep them as your list on this device, under the file’s passphrase?`
            : `The file holds ${opened.meetings.length} meeting(s), ${fresh} not in your list. Merge them into your list? Meetings already in it are kept as they are.`,
        ),
        h(
          'div',
          { class: 'row' },
          h(
            'button',
            {
              type: 'button',
              class: 'button primary',
              id: 'list-import-accept',
              onclick: () =>
                void busy('Saving…', async () =>
                  say(`Imported ${await store.acceptImport(opened)} meeting(s).`),
                ),
            },
            store.state === 'none' ? 'Keep as my list' : 'Merge into my list',
          ),
          h('button', { type: 'button', class: 'button', onclick: () => replace(confirm) }, 'Cancel'),
        ),
      );
    };
    const details = h('details', { class: 'list-import', open: importOpen });
    // A re-render (after a save) keeps the import open if it was.
    details.addEventListener('toggle', () => (importOpen = details.open));
    details.append(
      h('summary', null, 'Import a list from a file'),
      h('label', { for: 'list-import-file' }, 'Exported list (.json)'),
      file,
      h(
        'form',
        {
          onsubmit: (e: Event) => {
            e.preventDefault();
            void open();
          },
        },
        h('label', { for: 'list-import-passphrase' }, 'The file’s passphrase'),
        pass,
        h(
          'div',
          { class: 'row' },
          h('button', { type: 'submit', class: 'button', id: 'list-import-open' }, 'Open file'),
        ),
      ),
      confirm,
    );
    return details;
  }

  function render(): void {
    const state = store.state;
    const view = state === 'none' ? createView() : state === 'locked' ? lockedView() : unlockedView();
    const waiting =
      pending.length > 0
        ? h(
            'p',
            { class: 'notice', id: 'list-pending' },
            `${pending.length} new meeting(s) are not in your list yet: ${state === 'none' ? 'create' : 'unlock'} it to keep them.`,
          )
        : null;
    replace(body, waiting, ...view, state === 'locked' ? null : importView());
    body.dataset['state'] = state;
  }

  render();
  return {
    element: h(
      'section',
      { class: 'card', 'aria-labelledby': 'meeting-list-title' },
      h('h2', { id: 'meeting-list-title' }, 'Your scheduled meetings'),
      status,
      error,
      body,
    ),
    offer(meetings) {
      pending = [...pending, ...meetings];
      if (store.state === 'unlocked') void busy('Saving…', savePending);
      else render();
    },
  };
}
