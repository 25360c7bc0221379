/**
 * Page script of the Chromium MLS benchmark (bundled by mls-browser.bench.ts): the same burst
 * workload as the Node run, exposed as globalThis.mlsBench.
 */
import { type BurstResult, type BurstStep, runBursts } from './mls-workload.ts';

export interface BrowserBurstResult extends BurstResult {
  userAgent: string;
}

async function mlsBench(plan: BurstStep[], repeats?: number): Promise<BrowserBurstResult> {
  const result = await runBursts(plan, {
    ...(repeats === undefined ? {} : { repeats }),
    log: (line) => console.log(line),
  });
  return { ...result, userAgent: navigator.userAgent };
}

Object.assign(globalThis, { mlsBench });
