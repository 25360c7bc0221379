/**
 * The recording's sound: every remote microphone and this person's own, mixed in an
 * AudioContext into one track. `sync` adds the tracks that appeared and drops those that went.
 */

export interface AudioMix {
  track: MediaStreamTrack;
  /** The tracks to hear now (by track ID); others are disconnected. */
  sync(tracks: MediaStreamTrack[]): void;
  /**
   * Calls `fn` about `fps` times a second on the audio clock, which a hidden tab does not slow
   * down as it does timers (to one a second, then one a minute). Returns the stop.
   */
  tick(fps: number, fn: () => void): () => void;
  close(): void;
}

export function mixAudio(): AudioMix {
  const context = new AudioContext();
  const out = context.createMediaStreamDestination();
  const sources = new Map<string, MediaStreamAudioSourceNode>();
  // A recording started from a click may still find the context suspended.
  void context.resume().catch(() => {});
  return {
    track: out.stream.getAudioTracks()[0]!,
    sync(tracks) {
      const live = new Set<string>();
      for (const track of tracks) {
        if (track.readyState === 'ended') continue;
        live.add(track.id);
        if (sources.has(track.id)) continue;
        const source = context.createMediaStreamSource(new MediaStream([track]));
        source.connect(out);
        sources.set(track.id, source);
      }
      for (const [id, source] of sources) {
        if (live.has(id)) continue;
        source.disconnect();
        sources.delete(id);
      }
    },
    tick(fps, fn) {
      let running = true;
      // A silent source whose end is the tick; it must be in the graph for its end to fire.
      const silent = context.createGain();
      silent.gain.value = 0;
      silent.connect(out);
      const next = () => {
        if (!running) return;
        const beat = context.createConstantSource();
        beat.connect(silent);
        beat.onended = () => {
          beat.disconnect();
          fn();
          next();
        };
        beat.start();
        beat.stop(context.currentTime + 1 / fps);
      };
      next();
      return () => {
        running = false;
        silent.disconnect();
      };
    },
    close() {
      for (const source of sources.values()) source.disconnect();
      sources.clear();
      void context.close().catch(() => {});
    },
  };
}
