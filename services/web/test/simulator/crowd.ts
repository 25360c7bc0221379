/**
 * A participant of a large meeting's crowd: muted, camera off, publishing nothing, receiving
 * what the SFU offers (video-receive.ts). The join is real (SRP against the API, the DS with
 * the join token, the SFU signaling and a WebRtcTransport); on MLS it is by default passive,
 * as in the DS benchmarks (services/mls-ds/bench): it publishes a real KeyPackage and is added
 * by real commits, but keeps no group state, since its cryptographic work would run on its own
 * device. `mls: 'real'` keeps the group with packages/e2ee instead. A passive member cannot
 * decrypt, so the crowd counts media rather than playing it.
 */
import type { SfuNotification } from '@conclave/protocol';
import { E2eeEngine } from '../../../mls-ds/src/testing/engines.ts';
import { SimMember } from '../../../mls-ds/src/testing/sim-member.ts';
import { SfuSignaling } from './sfu-signaling.ts';
import { srpJoin } from './srp-join.ts';
import { MediaCounter, type ReceivePolicy } from './video-receive.ts';

export interface CrowdOptions {
  link: string;
  receive: ReceivePolicy;
  mls?: 'passive' | 'real';
  /** Leaves by itself after this long. Default 10 minutes. */
  maxDurationMs?: number;
  /** Commits as the DS hands them out: `epoch` is the one the commit was built on. */
  onCommit?: (epoch: number, at: number) => void;
}

export class CrowdMember {
  ended: string | undefined;
  member: SimMember | undefined;
  counter: MediaCounter | undefined;
  #sfu: SfuSignaling | undefined;
  #timer: NodeJS.Timeout | undefined;

  static async join(options: CrowdOptions): Promise<CrowdMember> {
    const c = new CrowdMember();
    c.#timer = setTimeout(() => c.leave('timeout'), options.maxDurationMs ?? 600_000);
    c.#timer.unref();
    try {
      const { granted, secrets } = await srpJoin(options.link);
      const engine = new E2eeEngine(secrets, new Uint8Array(16));
      const [member, sfu] = await Promise.all([
        SimMember.join(granted.dsUrl, granted.token, engine, { passive: options.mls !== 'real' }),
        SfuSignaling.connect(granted.sfuUrl, granted.token),
      ]);
      c.member = member;
      c.#sfu = sfu;
      const onCommit = options.onCommit;
      if (onCommit) {
        const handle = member.client.onMessage;
        member.client.onMessage = (m) => {
          if (m.type === 'commit') onCommit(m.epoch, performance.now());
          handle?.(m);
        };
      }
      const early: SfuNotification[] = [];
      sfu.onNotification = (n) => (c.counter ? c.counter.notification(n) : early.push(n));
      sfu.onClosed = (code) => c.leave(`sfu closed ${code}`);
      c.counter = await MediaCounter.open(sfu, options.receive);
      for (const n of early) c.counter.notification(n);
    } catch (error) {
      c.leave('failed');
      throw error;
    }
    return c;
  }

  /** The MLS Welcome arrived (passive) or was processed (real). */
  get welcomed(): boolean {
    return (this.member?.joinedAt ?? 0) > 0;
  }

  leave(reason = 'left'): void {
    if (this.ended) return;
    this.ended = reason;
    clearTimeout(this.#timer);
    try {
      this.member?.leave();
      this.member?.client.close();
    } catch {
      // already closed
    }
    this.#sfu?.close();
    this.counter?.close();
  }
}
