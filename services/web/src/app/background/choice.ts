/**
 * What may be behind the person on their camera: nothing changed, their own room blurred, one of
 * the scenes drawn by the app, or an image from their own device. The choice is kept in this
 * browser (localStorage) like a remembered device; an image of their own is never stored or sent.
 */

export type SceneName = 'dusk' | 'studio' | 'shelves';

export type Background =
  | { kind: 'off' }
  | { kind: 'blur'; strength: 'light' | 'strong' }
  | { kind: 'scene'; scene: SceneName }
  | { kind: 'image'; image: ImageBitmap };

/** The choices a menu offers, by the value it stores; `image` asks for a file. */
export const BACKGROUND_OPTIONS = [
  ['off', 'None'],
  ['blur-light', 'Blur (light)'],
  ['blur-strong', 'Blur (strong)'],
  ['scene-dusk', 'Dusk'],
  ['scene-studio', 'Studio'],
  ['scene-shelves', 'Shelves'],
  ['image', 'An image from this device…'],
] as const;

export type BackgroundValue = (typeof BACKGROUND_OPTIONS)[number][0];

const STORAGE_KEY = 'conclave:background';

/** A menu value as a background; `image` needs the picked image. */
export function backgroundOf(value: string, image?: ImageBitmap): Background {
  if (value === 'blur-light' || value === 'blur-strong') {
    return { kind: 'blur', strength: value === 'blur-light' ? 'light' : 'strong' };
  }
  if (value === 'scene-dusk' || value === 'scene-studio' || value === 'scene-shelves') {
    return { kind: 'scene', scene: value.slice('scene-'.length) as SceneName };
  }
  if (value === 'image' && image) return { kind: 'image', image };
  return { kind: 'off' };
}

/** The menu value of a background. */
export function menuValue(background: Background): BackgroundValue {
  switch (background.kind) {
    case 'off':
      return 'off';
    case 'blur':
      return `blur-${background.strength}`;
    case 'scene':
      return `scene-${background.scene}`;
    case 'image':
      return 'image';
  }
}

/** The last choice made in this browser (off when none, unreadable or an own image). */
export function rememberedBackground(): Background {
  try {
    return backgroundOf(localStorage.getItem(STORAGE_KEY) ?? 'off');
  } catch {
    return { kind: 'off' };
  }
}

/** Keeps the choice for the next meeting; an own image is not kept (it stays on the device only while in use). */
export function rememberBackground(background: Background): void {
  if (background.kind === 'image') return;
  try {
    localStorage.setItem(STORAGE_KEY, menuValue(background));
  } catch {
    // Storage refused (private mode, quota): the choice lasts for this page only.
  }
}
