import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { JoinTokenSigner } from '@conclave/runtime';
import { E2eeEngine, FakeEngine, type MlsEngine } from './engines.ts';
import { randomId, tokenFor } from './fixtures.ts';
import { type SimOptions, SimMember } from './sim-member.ts';

/** One meeting's secrets and group, and the simulated members in it. */
export class TestMeeting {
  readonly grp = randomId();
  readonly members: SimMember[] = [];
  readonly #signer: JoinTokenSigner;
  readonly #real: boolean;
  readonly #keys = {
    mlsPsk: randomBytes(32),
    pskId: `conclave/v1/psk/${randomId().slice(0, 10)}`,
    credKey: randomBytes(32),
  };
  readonly #groupId = randomBytes(16);

  constructor(signer: JoinTokenSigner, options: { real?: boolean } = {}) {
    this.#signer = signer;
    this.#real = options.real ?? true;
  }

  engine(): MlsEngine {
    // Each member derives its own copy from the link, as real clients do (engines may zero theirs).
    const keys = {
      mlsPsk: Uint8Array.from(this.#keys.mlsPsk),
      pskId: this.#keys.pskId,
      credKey: Uint8Array.from(this.#keys.credKey),
    };
    return this.#real ? new E2eeEngine(keys, Uint8Array.from(this.#groupId)) : new FakeEngine();
  }

  token(role: 'participant' | 'host' = 'participant', sid = randomId()): string {
    return tokenFor(this.#signer, this.grp, { role, sid });
  }

  async join(url: string, options: SimOptions & { role?: 'participant' | 'host'; token?: string } = {}) {
    const m = await SimMember.join(url, options.token ?? this.token(options.role), this.engine(), options);
    this.members.push(m);
    return m;
  }

  /** Members still in the meeting (not crashed, left or removed). */
  active(): SimMember[] {
    return this.members.filter((m) => !m.removed && !this.gone.has(m));
  }

  readonly gone = new Set<SimMember>();

  /** Waits until every active member is in the same epoch with `size` members. */
  async converged(size: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const active = this.active();
      await Promise.all(active.map((m) => m.settled()));
      const epochs = new Set(active.map((m) => m.epoch));
      if (epochs.size === 1 && active.every((m) => m.engine.size === size)) return;
      if (Date.now() > deadline) {
        assert.fail(
          `no convergence on ${size} members: ${active.map((m) => `${m.epoch}/${m.engine.size}`).join(' ')}; errors ${active
            .flatMap((m) => m.errors.map(String))
            .join('; ')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async exporters(): Promise<string[]> {
    return Promise.all(this.active().map((m) => m.engine.exporter()));
  }

  errors(): unknown[] {
    return this.members.flatMap((m) => m.errors);
  }
}

export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
