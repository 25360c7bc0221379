/**
 * A rollout of the SFU DaemonSet during a meeting, as docs/deployment.md describes it: "a
 * stopping SFU refuses new rooms and waits up to sfu.drainTimeoutMs for its meetings to end".
 * On SIGTERM the SFU marks itself draining (its /readyz answers 503, so Kubernetes takes it out
 * of the Service), keeps its rooms' media flowing for up to drainTimeoutMs, then closes the
 * remaining peers with 1001 (going away) and exits; the pages reconnect by themselves with a
 * fresh join token. With one node and host networking the new pod starts only after the old
 * one is gone (the same host ports).
 *
 * Two browsers meet; `kubectl rollout restart` of the DaemonSet; the old pod must be
 * Terminating while media keeps flowing on both pages, report itself not ready, and last
 * about drainTimeoutMs; then the new pod becomes Ready and the meeting is whole again (both
 * pages decode each other, one epoch) without anyone touching the pages. Prints the timeline.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  createMeeting,
  type Diagnostics,
  diagnostics,
  eventually,
  joinMeeting,
  openPanel,
  within,
} from '../../../../services/web/test/support/harness.ts';
import {
  cameraFrames,
  decodingEachOther,
  endIfRunning,
  open as openPerson,
  person,
  seconds,
  sleep,
} from '../stack/support/participants.ts';
import { type LaunchedBrowser, launchBrowser } from '../stack/support/trusted-browser.ts';
import {
  type ClusterEnv,
  clusterEnv,
  describePods,
  kubectl,
  pods,
  type ReleasePod,
  releaseReady,
} from './support/cluster-env.ts';

/** After the new SFU pod is Ready, the meeting is whole again within this. */
const RECOVERY_DEADLINE_MS = 90_000;
/** Media must keep flowing at least this long after the restart was ordered (the drain). */
const MEDIA_DURING_DRAIN_MS = 5_000;

interface SfuSpec {
  daemonSet: string;
  port: number;
  drainTimeoutMs: number;
  gracePeriodSeconds: number;
}

async function sfuSpec(env: ClusterEnv): Promise<SfuSpec> {
  const list = JSON.parse(
    (
      await kubectl(env, [
        'get',
        'daemonsets',
        '-l',
        `app.kubernetes.io/instance=${env.release},app.kubernetes.io/component=sfu`,
        '-o',
        'json',
      ])
    ).toString('utf8'),
  ) as {
    items: {
      metadata: { name: string };
      spec: {
        template: {
          spec: {
            terminationGracePeriodSeconds: number;
            containers: {
              ports: { name: string; containerPort: number }[];
              env: { name: string; value?: string }[];
            }[];
          };
        };
      };
    }[];
  };
  const ds = list.items[0];
  assert.ok(
    ds && list.items.length === 1,
    `one SFU DaemonSet in the release: ${list.items.map((d) => d.metadata.name)}`,
  );
  const container = ds.spec.template.spec.containers[0]!;
  return {
    daemonSet: ds.metadata.name,
    port: container.ports.find((p) => p.name === 'http')!.containerPort,
    drainTimeoutMs: Number(container.env.find((e) => e.name === 'SFU_DRAIN_TIMEOUT_MS')?.value),
    gracePeriodSeconds: ds.spec.template.spec.terminationGracePeriodSeconds,
  };
}

/** The SFU's /readyz on this node (host networking): status and whether it says it drains. */
async function readyz(port: number): Promise<string> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1500) });
    const body = (await r.json().catch(() => ({}))) as { draining?: boolean };
    return `${r.status}${body.draining ? ' draining' : ''}`;
  } catch {
    return 'no answer';
  }
}

/** What was seen when, in ms after the restart was ordered (first sighting of each). */
class Timeline {
  readonly #since: number;
  readonly events = new Map<string, number>();
  constructor(since: number) {
    this.#since = since;
  }
  see(event: string): void {
    if (!this.events.has(event)) this.events.set(event, Date.now() - this.#since);
  }
  at(event: string): number | undefined {
    return this.events.get(event);
  }
  toString(): string {
    return [...this.events]
      .sort((a, b) => a[1] - b[1])
      .map(([e, ms]) => `${e} +${(ms / 1000).toFixed(1)} s`)
      .join('; ');
  }
}

/** Watches the old and new SFU pods and the node's /readyz until the new pod is Ready. */
async function watchRollout(
  env: ClusterEnv,
  old: ReleasePod,
  port: number,
  timeline: Timeline,
  stop: () => boolean,
) {
  while (!stop()) {
    const sfu = (await pods(env).catch(() => [])).filter((p) => p.component === 'sfu');
    const previous = sfu.find((p) => p.uid === old.uid);
    const fresh = sfu.find((p) => p.uid !== old.uid);
    if (previous?.terminating) timeline.see('old pod Terminating');
    if (previous && !previous.ready) timeline.see('old pod not Ready');
    if (!previous) timeline.see('old pod gone');
    if (fresh) timeline.see('new pod created');
    if (fresh?.ready) timeline.see('new pod Ready');
    // Before the new pod exists, whatever answers on the port is the old SFU.
    if (!fresh) {
      const answer = await readyz(port);
      if (answer === '503 draining') timeline.see('old /readyz 503 draining');
      if (answer === 'no answer' && timeline.at('old /readyz 503 draining') !== undefined)
        timeline.see('old /readyz no longer answers');
    }
    await sleep(500);
  }
}

describe('the Helm chart on a cluster: an SFU rollout drains its meeting, which then recovers by itself', {
  timeout: 420_000,
}, () => {
  let env: ClusterEnv;
  let launched: LaunchedBrowser;
  let host: Page | undefined;
  let ended = false;

  before(async () => {
    env = clusterEnv();
    await releaseReady(env);
    launched = await launchBrowser(env.caFile);
  });

  after(async () => {
    if (!ended) await endIfRunning(host);
    await launched?.close();
  });

  it('media flows through the drain; the new SFU pod takes the meeting back', async () => {
    const spec = await sfuSpec(env);
    const [old, ...others] = (await pods(env)).filter((p) => p.component === 'sfu' && !p.terminating);
    assert.ok(
      old?.ready && others.length === 0,
      `one Ready SFU pod (one node): ${describePods(old ? [old, ...others] : [])}`,
    );
    const observable = (await readyz(spec.port)) === '200';
    console.log(
      `sfu: daemonset/${spec.daemonSet}, pod ${old.name}, drainTimeoutMs ${spec.drainTimeoutMs}, ` +
        `terminationGracePeriodSeconds ${spec.gracePeriodSeconds}; /readyz on 127.0.0.1:${spec.port} ` +
        `${observable ? 'answers 200' : 'does not answer from here'}`,
    );

    const alice = person('host', 'Rollout Host', 'Gannet', 0, 'Cluster');
    const bob = person('guest', 'Rollout Guest', 'Quokka', 1, 'Cluster');
    host = await openPerson(launched.browser, alice);
    const created = await createMeeting(host, env.url);
    await joinMeeting(host, created.hostLink, alice.name);
    await joinMeeting(await openPerson(launched.browser, bob), created.link, bob.name);
    const pages = [host, bob.page!];
    const steady = await decodingEachOther(pages, 'two members decoding each other before the rollout');

    const ordered = Date.now();
    const timeline = new Timeline(ordered);
    let done = false;
    const watching = watchRollout(env, old, spec.port, timeline, () => done);
    await kubectl(env, ['rollout', 'restart', `daemonset/${spec.daemonSet}`]);
    try {
      // Media during the drain: sampled every second until the old pod is gone; the last time
      // every camera on both pages had decoded more frames than a second before.
      const read = () =>
        within(Promise.all(pages.map(diagnostics)), 30_000, 'diagnostics during the rollout');
      let previous = await read();
      let lastRising = 0;
      const stalledAt: number[] = [];
      while (
        timeline.at('old pod gone') === undefined &&
        Date.now() - ordered < Math.min(spec.drainTimeoutMs + 30_000, (spec.gracePeriodSeconds + 20) * 1000)
      ) {
        await sleep(1000);
        const now = await read();
        const rising = now.every((d, i) => {
          const before = cameraFrames(previous[i]!);
          const cams = cameraFrames(d);
          return (
            cams.size === 1 && [...cams].every(([peer, frames]) => frames > (before.get(peer) ?? Infinity))
          );
        });
        if (rising) lastRising = Date.now() - ordered;
        else if (!stalledAt.length && timeline.at('old pod Terminating') !== undefined)
          stalledAt.push(Date.now() - ordered);
        assert.equal(now.find((d) => d.ended)?.ended, undefined, 'no page ends its meeting during the drain');
        previous = now;
      }
      console.log(
        `sfu: media rising on both pages until +${(lastRising / 1000).toFixed(1)} s after the restart was ordered` +
          `${stalledAt.length ? `; first second without it +${(stalledAt[0]! / 1000).toFixed(1)} s` : ''}`,
      );
      const terminating = timeline.at('old pod Terminating');
      assert.ok(terminating !== undefined && terminating < 15_000, `the old pod is Terminating: ${timeline}`);
      assert.ok(
        lastRising >= Math.max(terminating, MEDIA_DURING_DRAIN_MS),
        `media keeps flowing on both pages while the old pod drains: last rising +${lastRising} ms; ${timeline}`,
      );
      if (observable)
        assert.ok(
          timeline.at('old /readyz 503 draining') !== undefined,
          `the draining SFU's /readyz says so: ${timeline}`,
        );
      assert.ok(timeline.at('old pod not Ready') !== undefined, `the draining pod is not Ready: ${timeline}`);
      const gone = timeline.at('old pod gone');
      assert.ok(gone !== undefined, `the old pod is gone within its grace period: ${timeline}`);
      // It waited for the meeting (which did not end) for drainTimeoutMs, then exited by itself: the
      // grace period is only an upper bound.
      assert.ok(
        gone >= spec.drainTimeoutMs - 2_000 &&
          gone <= Math.min(spec.drainTimeoutMs + 15_000, (spec.gracePeriodSeconds + 10) * 1000),
        `the old pod lasted about drainTimeoutMs (${spec.drainTimeoutMs} ms): gone at +${gone} ms`,
      );

      const fresh = await eventually(
        'the new SFU pod Ready',
        async () => timeline.at('new pod Ready'),
        (t) => t !== undefined,
        120_000,
      );
      const readyAt = Date.now();
      const whole = await eventually(
        'both pages decoding each other again on the new SFU, in one epoch',
        () => Promise.all(pages.map(diagnostics)),
        (d) =>
          d.every(
            (x, i) =>
              x.size === 2 &&
              x.epoch === d[0]!.epoch &&
              x.securityCode === d[0]!.securityCode &&
              x.peerId !== steady[i]!.peerId &&
              [...cameraFrames(x).values()].some((f) => f > 10),
          ),
        RECOVERY_DEADLINE_MS,
      );
      const recovered = Date.now() - ordered;
      const again = await decodingEachOther(pages, 'two members decoding each other after the rollout');
      assert.equal(again.find((d: Diagnostics) => d.ended)?.ended, undefined, 'no page ended its meeting');
      console.log(
        `sfu: meeting whole again +${(recovered / 1000).toFixed(1)} s ` +
          `(${seconds(readyAt)} after the new pod was Ready at +${(fresh! / 1000).toFixed(1)} s); ` +
          `epoch ${whole[0]!.epoch} (was ${steady[0]!.epoch})`,
      );
    } finally {
      done = true;
      await watching;
      // Printed whatever happened: where a failed rollout stopped.
      console.log(`sfu: timeline (after the restart was ordered): ${timeline}`);
    }

    await openPanel(host, 'people');
    await host.click('#end-for-all');
    for (const page of pages) await page.waitForSelector('#app[data-ended="ended"]', { timeout: 30_000 });
    ended = true;
  });
});
