/**
 * The "Microphone level" meter of the pre-join page and the settings panel: a labelled
 * `<meter>` that follows one microphone track at a time, and reads empty without one.
 */
import { type LevelWatch, watchLevel } from '../audio-level.ts';
import { h } from '../dom.ts';

export interface MicLevel {
  /** The label and the meter. */
  el: HTMLElement;
  meter: HTMLMeterElement;
  /** Follows `track` (nothing: the meter empties); the same track again changes nothing. */
  follow(track: MediaStreamTrack | undefined): void;
  /** Stops measuring (the AudioContext is closed). */
  stop(): void;
}

export function micLevel(id: string): MicLevel {
  const meter = h('meter', { id, class: 'mic-level', min: 0, max: 1, value: 0 });
  let watched: MediaStreamTrack | undefined;
  let watch: LevelWatch | undefined;

  function stop(): void {
    watch?.stop();
    watch = undefined;
    watched = undefined;
    meter.value = 0;
  }

  function follow(track: MediaStreamTrack | undefined): void {
    const live = track?.readyState === 'live' ? track : undefined;
    if (live === watched) return;
    stop();
    if (!live) return;
    watched = live;
    watch = watchLevel(live, (level) => {
      meter.value = level;
    });
  }

  const el = h('div', { class: 'mic-level-row' }, h('label', { for: id }, 'Microphone level'), meter);
  return { el, meter, follow, stop };
}
