/** What a CrowdPool (crowd-pool.ts) and its crowd processes (crowd-process.ts) say over IPC. */
import type { CrowdOptions } from './crowd.ts';
import type { ReceivePolicy } from './video-receive.ts';

export type CrowdJoinOptions = Omit<CrowdOptions, 'onCommit'>;

/** One crowd member as its process sees it now. */
export interface MemberSnapshot {
  bytes: number;
  videoResumed: number;
  /** Spatial layer of each camera resumed (null: none yet). */
  layers: (number | null)[];
  welcomed: boolean;
}

export type CrowdOp =
  | { op: 'join'; count: number; options: CrowdJoinOptions }
  /** Applies to the process's first `members` members. */
  | { op: 'policy'; policy: ReceivePolicy; members: number }
  | { op: 'snapshot' }
  | { op: 'leave' };

export type CrowdRequest = CrowdOp & { id: number };

export type CrowdReply =
  | { id: number; ok: true; value?: MemberSnapshot[] }
  | { id: number; ok: false; error: string }
  /** A commit handed out by the DS: `epoch` is the one it was built on; `at` in ms since 1970. */
  | { commit: number; at: number };
