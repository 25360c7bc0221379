/**
 * The background menu, on the pre-join page and in the settings panel: off, blur, the app's
 * scenes, or an image picked from this device. A picked image is decoded here and stays in the
 * page; it is never uploaded.
 */
import { h } from '../dom.ts';
import { BACKGROUND_OPTIONS, type Background, backgroundOf, menuValue } from './choice.ts';
import { BackgroundError, backgroundFailure } from './errors.ts';

/** Larger files are refused before decoding (a photo is far smaller). */
const MAX_IMAGE_BYTES = 25 * 1024 * 1024;

export interface BackgroundControl {
  /** The label, the menu, the hidden file picker and the error line, in that order. */
  el: HTMLElement[];
  /** Shows the background in use. */
  show(background: Background): void;
  /** Tells why the background in use changed (the effect failed). */
  tell(message: string): void;
}

/** Decodes an image file picked by the person; a file that is not one gives a BackgroundError. */
export async function decodeImage(file: Blob): Promise<ImageBitmap> {
  if (file.size > MAX_IMAGE_BYTES)
    throw new BackgroundError('bad-image', 'This image is too large (25 MB at most).');
  try {
    return await createImageBitmap(file);
  } catch {
    throw new BackgroundError('bad-image', 'This file could not be read as an image.');
  }
}

export function backgroundControl(
  id: string,
  current: () => Background,
  choose: (background: Background) => Promise<void> | void,
): BackgroundControl {
  const select = h(
    'select',
    { id },
    BACKGROUND_OPTIONS.map(([value, text]) => h('option', { value }, text)),
  );
  const picker = h('input', {
    type: 'file',
    accept: 'image/*',
    hidden: true,
    id: `${id}-file`,
    'aria-label': 'Background image from this device',
  });
  const error = h('p', { class: 'error', role: 'alert', id: `${id}-error` });
  const show = (background: Background) => {
    select.value = menuValue(background);
  };
  const apply = async (background: Background) => {
    error.textContent = '';
    try {
      await choose(background);
    } catch (e) {
      error.textContent = backgroundFailure(e);
    }
    show(current());
  };
  select.addEventListener('change', () => {
    if (select.value !== 'image') return void apply(backgroundOf(select.value));
    // Until an image is picked, the menu shows what is in use.
    show(current());
    picker.value = '';
    picker.click();
  });
  picker.addEventListener('change', () => {
    const file = picker.files?.[0];
    if (!file) return;
    void decodeImage(file).then(
      (image) => apply({ kind: 'image', image }),
      (e: unknown) => {
        error.textContent = backgroundFailure(e);
      },
    );
  });
  show(current());
  const tell = (message: string) => {
    error.textContent = message;
  };
  return { el: [h('label', { for: id }, 'Background'), select, picker, error], show, tell };
}
