import type { SfuCloseCode, SfuNotificationData, SfuNotificationMethod } from '@conclave/protocol';

/** What a Peer needs from its client connection: push notifications and hang up. */
export interface PeerConnection {
  notify<M extends SfuNotificationMethod>(method: M, data: SfuNotificationData<M>): void;
  close(code: SfuCloseCode, reason: string): void;
}
