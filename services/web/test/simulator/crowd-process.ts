/**
 * A process of crowd members (crowd.ts), driven over IPC by the CrowdPool (crowd-pool.ts) that
 * forked it. It leaves the meeting and exits when its parent goes away; each member also
 * leaves by itself after its `maxDurationMs`.
 */
import { CrowdMember } from './crowd.ts';
import type { CrowdJoinOptions, CrowdReply, CrowdRequest, MemberSnapshot } from './crowd-messages.ts';

const members: CrowdMember[] = [];
/** Replies that come after the parent has gone (a join finishing during the shutdown) are dropped. */
const send = (reply: CrowdReply) => {
  if (process.connected) process.send?.(reply, undefined, undefined, () => {});
};
const epochsSeen = new Set<number>();

function onCommit(epoch: number, at: number): void {
  if (epochsSeen.has(epoch)) return;
  epochsSeen.add(epoch);
  send({ commit: epoch, at: performance.timeOrigin + at });
}

/** One retry each: on a loaded machine a transport's setup may miss its deadline. */
async function join(count: number, options: CrowdJoinOptions): Promise<void> {
  const joinOne = () => CrowdMember.join({ ...options, onCommit });
  members.push(...(await Promise.all(Array.from({ length: count }, () => joinOne().catch(joinOne)))));
}

function snapshot(): MemberSnapshot[] {
  return members.map((m) => ({
    bytes: m.counter?.counts.bytes ?? 0,
    videoResumed: m.counter?.counts.videoResumed ?? 0,
    layers: m.counter?.layers() ?? [],
    welcomed: m.welcomed,
  }));
}

function leave(): void {
  for (const m of members) m.leave();
}

process.on('message', async (request: CrowdRequest) => {
  try {
    if (request.op === 'join') await join(request.count, request.options);
    else if (request.op === 'policy')
      await Promise.all(members.slice(0, request.members).map((m) => m.counter?.setPolicy(request.policy)));
    else if (request.op === 'leave') leave();
    send({ id: request.id, ok: true, ...(request.op === 'snapshot' ? { value: snapshot() } : {}) });
  } catch (error) {
    send({ id: request.id, ok: false, error: (error as Error).message });
  }
});

process.on('disconnect', () => {
  leave();
  setTimeout(() => process.exit(0), 500).unref();
});
