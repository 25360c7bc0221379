/**
 * Page side of mls-worker.bench.ts: one group host at a time, in this page's thread
 * (`InPageGroup`) or in the MLS worker (`WorkerGroup`), and the page's long tasks (over 50 ms,
 * the Long Tasks API) while it joins or processes a commit.
 */
import type { MeetingKeys } from '@conclave/e2ee';
import { InPageGroup, type MlsGroupHost } from '../src/app/mls-group.ts';
import { WorkerGroup } from '../src/app/mls-group-worker.ts';

const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const unb64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

const longTasks: number[] = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) longTasks.push(entry.duration);
}).observe({ type: 'longtask' });

let host: MlsGroupHost | undefined;

export interface StepResult {
  ms: number;
  longTasks: number;
  longestTask: number;
}

const api = {
  start(where: 'page' | 'worker', keys: { mlsPsk: string; pskId: string; credKey: string }): void {
    host?.close();
    const k: MeetingKeys = { mlsPsk: unb64(keys.mlsPsk), pskId: keys.pskId, credKey: unb64(keys.credKey) };
    host = where === 'page' ? new InPageGroup(k) : new WorkerGroup(k);
  },
  async keyPackage(): Promise<string> {
    return b64(await host!.keyPackage());
  },
  async step(op: 'join' | 'receive', bytes: string): Promise<StepResult> {
    const input = unb64(bytes);
    longTasks.length = 0;
    const started = performance.now();
    if (op === 'join') await host!.join(input);
    else await host!.receive(input);
    const ms = performance.now() - started;
    // Long-task entries arrive after the task: give the observer a moment.
    await new Promise((r) => setTimeout(r, 200));
    return { ms, longTasks: longTasks.length, longestTask: Math.max(0, ...longTasks) };
  },
};

Object.assign(globalThis, { mlsBench: api, mlsBenchReady: true });
