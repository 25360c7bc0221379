/**
 * Opens the camera and microphone for the pre-join page. When the pair fails, each is tried on
 * its own, so a camera held by another app still lets the person join with their microphone
 * (and the other way round); what failed is reported per device, in words (errors.ts).
 */
import { describeError, type UserError } from './errors.ts';
import { cameraConstraints } from './meeting/camera-choice.ts';
import { browserNoiseSuppression } from './noise/mic-noise.ts';

export interface MediaAccess {
  stream: MediaStream;
  /** Why the microphone or the camera is missing; absent when it opened. */
  problems: { mic?: UserError; camera?: UserError };
}

/** The browser's own noise suppression is off while RNNoise does the job (noise/mic-noise.ts). */
export const audioConstraints = (id?: string): MediaTrackConstraints => ({
  ...(id ? { deviceId: { exact: id } } : {}),
  noiseSuppression: browserNoiseSuppression(),
});

export async function openMedia(micId?: string, cameraId?: string): Promise<MediaAccess> {
  const media = navigator.mediaDevices;
  if (!media?.getUserMedia) {
    const problem = describeError(new DOMException('No media devices', 'NotFoundError'));
    return { stream: new MediaStream(), problems: { mic: problem, camera: problem } };
  }
  try {
    const stream = await media.getUserMedia({
      audio: audioConstraints(micId),
      video: cameraConstraints(cameraId),
    });
    return { stream, problems: {} };
  } catch (both) {
    // Blocked by the person or the browser: asking for each alone would be refused the same way.
    if (both instanceof DOMException && (both.name === 'NotAllowedError' || both.name === 'SecurityError')) {
      const problem = describeError(both);
      return { stream: new MediaStream(), problems: { mic: problem, camera: problem } };
    }
  }
  const stream = new MediaStream();
  const problems: MediaAccess['problems'] = {};
  const add = (opened: MediaStream) => {
    for (const t of opened.getTracks()) stream.addTrack(t);
  };
  await media.getUserMedia({ audio: audioConstraints(micId) }).then(add, (e: unknown) => {
    problems.mic = describeError(e, 'microphone');
  });
  await media.getUserMedia({ video: cameraConstraints(cameraId) }).then(add, (e: unknown) => {
    problems.camera = describeError(e, 'camera');
  });
  return { stream, problems };
}
