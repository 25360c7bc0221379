/**
 * A large meeting's crowd (crowd.ts) spread over a few Node processes, so that receiving for
 * hundreds of members uses every core and the process that drives the meeting stays
 * responsive. Members are dealt to the processes in turn: member g lives in process g mod P.
 */
import { type ChildProcess, fork } from 'node:child_process';
import type {
  CrowdJoinOptions,
  CrowdOp,
  CrowdReply,
  CrowdRequest,
  MemberSnapshot,
} from './crowd-messages.ts';
import type { ReceivePolicy } from './video-receive.ts';

class CrowdProcess {
  readonly child: ChildProcess;
  readonly #pending = new Map<
    number,
    { resolve: (v?: MemberSnapshot[]) => void; reject: (e: Error) => void }
  >();
  #next = 0;

  constructor(onCommit: (epoch: number, at: number) => void) {
    this.child = fork(new URL('./crowd-process.ts', import.meta.url), { stdio: 'inherit' });
    this.child.on('message', (reply: CrowdReply) => {
      if ('commit' in reply) return onCommit(reply.commit, reply.at);
      const pending = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (reply.ok) pending?.resolve(reply.value);
      else pending?.reject(new Error(reply.error));
    });
    this.child.on('exit', (code) => {
      for (const p of this.#pending.values()) p.reject(new Error(`crowd process exited (${code})`));
      this.#pending.clear();
    });
  }

  request(op: CrowdOp): Promise<MemberSnapshot[] | undefined> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      if (!this.child.connected) return reject(new Error('the crowd process has gone'));
      this.#pending.set(id, { resolve, reject });
      const request: CrowdRequest = { ...op, id };
      this.child.send(request, (error) => {
        if (!error) return;
        this.#pending.delete(id);
        reject(error);
      });
    });
  }
}

export class CrowdPool {
  readonly #processes: CrowdProcess[];
  #size = 0;
  /** When the DS handed out the commit built on each epoch (ms since 1970), first seen. */
  readonly commitSent = new Map<number, number>();

  constructor(processes: number) {
    const onCommit = (epoch: number, at: number) => {
      const seen = this.commitSent.get(epoch);
      if (seen === undefined || at < seen) this.commitSent.set(epoch, at);
    };
    this.#processes = Array.from({ length: Math.max(1, processes) }, () => new CrowdProcess(onCommit));
  }

  get size(): number {
    return this.#size;
  }

  get pids(): number[] {
    return this.#processes.map((p) => p.child.pid).filter((pid) => pid !== undefined);
  }

  /** `count` more members, dealt in turn; resolves when all are in (each tried twice). */
  async join(count: number, options: CrowdJoinOptions): Promise<void> {
    const shares = this.#processes.map(
      (_, i) => this.#share(this.#size + count, i) - this.#share(this.#size, i),
    );
    await Promise.all(
      this.#processes.map((p, i) =>
        shares[i]! > 0 ? p.request({ op: 'join', count: shares[i]!, options }) : undefined,
      ),
    );
    this.#size += count;
  }

  /** Receives as `policy` says, for the first `members` of the crowd (default: all). */
  async setPolicy(policy: ReceivePolicy, members = this.#size): Promise<void> {
    await Promise.all(
      this.#processes.map((p, i) => p.request({ op: 'policy', policy, members: this.#share(members, i) })),
    );
  }

  /** Every member now, in the order they joined. */
  async snapshot(): Promise<MemberSnapshot[]> {
    const parts = await Promise.all(this.#processes.map((p) => p.request({ op: 'snapshot' })));
    const all: MemberSnapshot[] = [];
    for (let g = 0; g < this.#size; g++) {
      const member = parts[g % parts.length]?.[Math.floor(g / parts.length)];
      if (member) all.push(member);
    }
    return all;
  }

  /** Every member leaves; the processes exit. */
  async close(): Promise<void> {
    await Promise.all(this.#processes.map((p) => p.request({ op: 'leave' }).catch(() => undefined)));
    for (const p of this.#processes) if (p.child.connected) p.child.disconnect();
  }

  /** How many of the first `members` of the crowd live in process `i`. */
  #share(members: number, i: number): number {
    const p = this.#processes.length;
    return Math.max(0, Math.ceil((members - i) / p));
  }
}
