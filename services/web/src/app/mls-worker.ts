/**
 * The meeting's MLS group in a Worker (built to assets/mls-worker.js): commits in a meeting of a
 * thousand take tens of milliseconds each, which the page's thread must not spend. Calls are
 * handled one at a time, in the order they came, as `MlsSession` sends them.
 */
import type { MeetingKeys } from '@conclave/e2ee';
import { AllRefusedError, InPageGroup } from './mls-group.ts';
import type { GroupCall, GroupReply } from './mls-worker-protocol.ts';

let group: InPageGroup | undefined;
let chain: Promise<void> = Promise.resolve();

function reply(message: GroupReply): void {
  self.postMessage(message);
}

async function handle(call: GroupCall): Promise<void> {
  try {
    if (call.op === 'init') {
      group = new InPageGroup(call.args[0] as MeetingKeys);
      return reply({ id: call.id, ok: true, value: undefined });
    }
    if (!group) throw new Error('the MLS worker was not initialised');
    const method = group[call.op] as (...args: unknown[]) => Promise<unknown>;
    const value = await method.apply(group, call.args);
    reply({ id: call.id, ok: true, value });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    reply({
      id: call.id,
      ok: false,
      error: {
        name: e.name,
        message: e.message,
        ...(e instanceof AllRefusedError ? { refused: e.refused } : {}),
      },
    });
  }
}

self.onmessage = (event: MessageEvent<GroupCall>) => {
  const call = event.data;
  chain = chain.then(() => handle(call));
};
