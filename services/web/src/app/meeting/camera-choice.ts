/**
 * Which cameras a device has, and which one a switch goes to: phones have a front and a back
 * camera, and the switch walks through every video input in the order the browser lists them.
 */

/** The device IDs of the video inputs the browser reports (none when it cannot tell). */
export async function videoInputs(): Promise<string[]> {
  const devices = await navigator.mediaDevices?.enumerateDevices().catch(() => []);
  return (devices ?? []).filter((d) => d.kind === 'videoinput' && d.deviceId).map((d) => d.deviceId);
}

/** The camera after `current` (the first when `current` is unknown); none with fewer than two. */
export function nextCamera(cameras: readonly string[], current: string | undefined): string | undefined {
  if (cameras.length < 2) return undefined;
  const at = current === undefined ? -1 : cameras.indexOf(current);
  return cameras[(at + 1) % cameras.length];
}

/** What every camera is opened with: this one (any when no ID is given), at 720p if it can. */
export function cameraConstraints(deviceId: string | undefined): MediaTrackConstraints {
  return {
    ...(deviceId ? { deviceId: { exact: deviceId } } : {}),
    width: { ideal: 1280 },
    height: { ideal: 720 },
  };
}

/** Opens one camera (any when no ID is given). */
export async function openCamera(deviceId: string | undefined): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getUserMedia({ video: cameraConstraints(deviceId) });
  return stream.getVideoTracks()[0]!;
}
