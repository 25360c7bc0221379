/**
 * When a new epoch's media key is used, and when to ask for key frames after it. Pure policy:
 * the meeting installs the keys with `installEpoch` and schedules the requests it returns.
 */
import type { MediaCrypto } from '../media-crypto.ts';
import type { EpochView } from '../mls-session.ts';

/** After an Add, senders keep the old key this long so members still processing the commit keep up. */
export const SEND_AFTER_ADD_MS = 150;
/**
 * After a scheduled rotation nobody new is waiting for the new key, so senders wait longer: a
 * phone or a loaded laptop that takes a second to process the commit still loses no frame.
 * Well inside the receivers' grace period for the previous key (SFrameKeyStore, 5 s).
 */
export const SEND_AFTER_ROTATION_MS = 1000;
/** A new consumer's first key frame may predate our key: ask again once its sender surely switched. */
export const NEW_CONSUMER_KEY_FRAME_MS = SEND_AFTER_ADD_MS + 100;

type EpochChange = Pick<EpochView, 'added' | 'removed'>;

/**
 * After a Remove the departed member must not read new media: switch at once. After an Add,
 * keep sending under the old key a moment so members still processing the commit keep up;
 * after a scheduled rotation (no Adds, no Removes) longer, as nobody waits for the new key.
 */
export function sendDelayMs(view: EpochChange, first: boolean): number {
  if (first || view.removed.length > 0) return 0;
  return view.added.length === 0 ? SEND_AFTER_ROTATION_MS : SEND_AFTER_ADD_MS;
}

/**
 * Frames sent under a key we did not have yet were dropped, key frames included: ask for fresh
 * ones once senders have switched, or the picture would stay frozen until the next. The first
 * epoch asks several times, as the senders' switch times are unknown to a joiner.
 */
export function keyFrameDelaysMs(view: EpochChange, first: boolean): number[] {
  return first
    ? [0, SEND_AFTER_ADD_MS + 100, SEND_AFTER_ADD_MS + 500, 1500]
    : [sendDelayMs(view, first) + 150];
}

/** Hands the epoch's media key to the frame worker; returns when to ask for key frames. */
export function installEpoch(
  crypto: Pick<MediaCrypto, 'installEpoch'>,
  view: EpochView,
  first: boolean,
): number[] {
  crypto.installEpoch({
    group: view.group,
    epoch: view.epoch,
    baseKey: view.baseKey,
    groupSize: view.treeLeaves,
    selfLeafIndex: view.ownLeaf,
    sendAfterMs: sendDelayMs(view, first),
  });
  return keyFrameDelaysMs(view, first);
}
