/**
 * `MlsGroupHost` with the group in a Worker (mls-worker.ts): each call is posted with an ID and
 * answered in order; the group state never crosses, only bytes and summaries (structured clones).
 */
import type { AppMessageKind, MeetingKeys } from '@conclave/e2ee';
import {
  AllRefusedError,
  type GroupCommit,
  type GroupEpoch,
  type GroupReceived,
  type MlsGroupHost,
} from './mls-group.ts';
import { type GroupCall, type GroupReply, MLS_WORKER_URL } from './mls-worker-protocol.ts';

export class WorkerGroup implements MlsGroupHost {
  readonly #worker: Worker;
  readonly #calls = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #nextId = 1;
  #failed: Error | undefined;

  constructor(keys: MeetingKeys, url = MLS_WORKER_URL) {
    this.#worker = new Worker(url);
    this.#worker.onmessage = (event: MessageEvent<GroupReply>) => this.#settle(event.data);
    // The script did not load or threw at the top: every call now fails, none hangs.
    this.#worker.onerror = (event) =>
      this.#fail(new Error(`MLS worker failed: ${event.message || 'not loaded'}`));
    void this.#call('init', [keys]);
  }

  keyPackage(): Promise<Uint8Array> {
    return this.#call('keyPackage', []);
  }
  create(): Promise<GroupEpoch> {
    return this.#call('create', []);
  }
  join(welcome: Uint8Array): Promise<GroupEpoch> {
    return this.#call('join', [welcome]);
  }
  receive(message: Uint8Array): Promise<GroupReceived> {
    return this.#call('receive', [message]);
  }
  commit(request: { add?: Uint8Array[]; remove?: number[] }): Promise<GroupCommit> {
    return this.#call('commit', [request]);
  }
  accept(ref: string): Promise<GroupEpoch> {
    return this.#call('accept', [ref]);
  }
  dropCommits(refs: string[]): Promise<void> {
    return this.#call('dropCommits', [refs]);
  }
  send(kind: AppMessageKind, body: Uint8Array): Promise<{ message: Uint8Array; epoch: bigint }> {
    return this.#call('send', [kind, body]);
  }
  forget(): Promise<void> {
    return this.#call('forget', []);
  }

  close(): void {
    this.#worker.terminate();
    this.#fail(new Error('MLS worker closed'));
  }

  #call<T>(op: GroupCall['op'], args: unknown[]): Promise<T> {
    if (this.#failed) return Promise.reject(this.#failed);
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#calls.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#worker.postMessage({ id, op, args } satisfies GroupCall);
    });
  }

  #settle(reply: GroupReply): void {
    const call = this.#calls.get(reply.id);
    if (!call) return;
    this.#calls.delete(reply.id);
    if (reply.ok) {
      call.resolve(reply.value);
      return;
    }
    const { name, message, refused } = reply.error;
    call.reject(refused ? new AllRefusedError(refused) : Object.assign(new Error(message), { name }));
  }

  #fail(error: Error): void {
    this.#failed ??= error;
    for (const call of this.#calls.values()) call.reject(error);
    this.#calls.clear();
  }
}
