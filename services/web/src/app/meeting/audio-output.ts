/**
 * Where the others are heard: the audio output (speakers, a headset) chosen in the settings
 * panel, set with `setSinkId` on every remote audio element, the ones made later included. Only
 * browsers with `setSinkId` can choose; elsewhere sound plays on the system's default output.
 * The choice is kept in memory only, like every device ID and label.
 */

/** True when this browser can send a media element's sound to a chosen output. */
export function canChooseSpeaker(): boolean {
  return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
}

export class AudioOutput {
  /** The chosen output's device ID; '' is the system's default. */
  deviceId = '';
  readonly #elements = new Set<HTMLMediaElement>();

  /** Plays `el` on the chosen output until it is released. */
  attach(el: HTMLMediaElement): void {
    this.#elements.add(el);
    if (this.deviceId && canChooseSpeaker()) void el.setSinkId(this.deviceId).catch(() => {});
  }

  release(el: HTMLMediaElement): void {
    this.#elements.delete(el);
  }

  /**
   * Moves every remote sound to `deviceId`. When the output cannot be used (unplugged, not
   * allowed) it throws, and the sound goes back to where it was.
   */
  async choose(deviceId: string): Promise<void> {
    if (!canChooseSpeaker()) return;
    const elements = [...this.#elements];
    try {
      await Promise.all(elements.map((el) => el.setSinkId(deviceId)));
    } catch (error) {
      await Promise.all(elements.map((el) => el.setSinkId(this.deviceId).catch(() => {})));
      throw error;
    }
    this.deviceId = deviceId;
  }
}
