/** The chat panel: the log (kept for the whole call) and the message form. */
import { announce, h } from '../../dom.ts';
import type { Meeting } from '../../meeting/meeting.ts';
import type { ChatLine } from '../../meeting/types.ts';

export interface ChatPanel {
  /** What the side panel shows; the same nodes every time, so the log and a typed message stay. */
  nodes: HTMLElement[];
  log: HTMLElement;
  input: HTMLInputElement;
  /** Appends a line; returns whether it is someone else's (unread while the panel is closed). */
  append(line: ChatLine): boolean;
}

export function chatPanel(meeting: Meeting, toast: (text: string) => void): ChatPanel {
  const log = h('ol', { class: 'chat-log', id: 'chat-log', 'aria-label': 'Chat messages' });
  const input = h('input', {
    id: 'chat-input',
    maxLength: 2000,
    autocomplete: 'off',
    'aria-label': 'Chat message',
    placeholder: 'Message (end-to-end encrypted)',
  });
  const form = h(
    'form',
    {
      class: 'chat-form',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const text = input.value.trim();
        if (!text) return;
        input.value = '';
        void meeting.people.sendChat(text).catch(() => toast('The message could not be sent; try again'));
      },
    },
    input,
    h('button', { type: 'submit', class: 'button' }, 'Send'),
  );

  function append(line: ChatLine): boolean {
    log.appendChild(
      h(
        'li',
        { class: line.self ? 'self' : '' },
        h('strong', null, line.from),
        ' ',
        h('span', { class: 'chat-text' }, line.text),
      ),
    );
    log.scrollTop = log.scrollHeight;
    if (!line.self) announce(`${line.from}: ${line.text}`);
    return !line.self;
  }

  return { nodes: [h('h2', null, 'Chat'), log, form], log, input, append };
}
