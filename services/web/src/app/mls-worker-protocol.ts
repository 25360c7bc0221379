/** What the page and the MLS worker say to each other: a call per host operation, one reply each. */
import type { MlsGroupHost } from './mls-group.ts';

export const MLS_WORKER_URL = '/assets/mls-worker.js';

/** The operations of the host interface, the only ones a call can name. */
export type GroupOp = Exclude<keyof MlsGroupHost, 'close'>;

export type GroupCall = { id: number; op: 'init' | GroupOp; args: unknown[] };

export type GroupReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { name: string; message: string; refused?: number[] } };
