/**
 * The camera's frames, one callback each, as fast as they come and no faster: through
 * MediaStreamTrackProcessor where the browser has it (Chromium; it keeps running in a hidden
 * tab), else a video element's requestVideoFrameCallback. A frame that arrives while the last
 * one is still being worked on is dropped (the newest is kept).
 */

export type FrameSource = VideoFrame | HTMLVideoElement;
/** Called for each frame; the frame is valid until the promise settles. */
export type OnFrame = (frame: FrameSource, width: number, height: number) => Promise<void>;

interface Processor {
  readable: ReadableStream<VideoFrame>;
}
type ProcessorCtor = new (init: { track: MediaStreamTrack; maxBufferSize?: number }) => Processor;

/** Starts delivering `track`'s frames; the returned function stops it. */
export function readFrames(track: MediaStreamTrack, onFrame: OnFrame): () => void {
  const Processor = (globalThis as { MediaStreamTrackProcessor?: ProcessorCtor }).MediaStreamTrackProcessor;
  return Processor
    ? readWithProcessor(new Processor({ track, maxBufferSize: 1 }), onFrame)
    : readWithVideo(track, onFrame);
}

function readWithProcessor(processor: Processor, onFrame: OnFrame): () => void {
  const reader = processor.readable.getReader();
  let stopped = false;
  void (async () => {
    while (!stopped) {
      const { value: frame, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done || !frame) break;
      try {
        if (!stopped) await onFrame(frame, frame.displayWidth, frame.displayHeight);
      } finally {
        frame.close();
      }
    }
  })();
  return () => {
    stopped = true;
    void reader.cancel().catch(() => {});
  };
}

function readWithVideo(track: MediaStreamTrack, onFrame: OnFrame): () => void {
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = new MediaStream([track]);
  let stopped = false;
  const next = () => {
    if (stopped) return;
    video.requestVideoFrameCallback(() => {
      if (stopped) return;
      void onFrame(video, video.videoWidth, video.videoHeight).finally(next);
    });
  };
  void video.play().catch(() => {});
  next();
  return () => {
    stopped = true;
    video.pause();
    video.srcObject = null;
  };
}
