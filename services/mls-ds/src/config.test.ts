import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '@conclave/runtime';
import { loadDsConfig, loadDsSettings, MIN_GRACE_HEARTBEATS } from './config.ts';
import { startDs } from './server.ts';

/** A ConfigError whose one problem is the grace, naming both variables and both values. */
function graceRefused(grace: number, interval: number) {
  return (error: unknown) =>
    error instanceof ConfigError &&
    error.problems.length === 1 &&
    error.problems[0]!.startsWith('DS_RESUME_GRACE_MS: ') &&
    error.problems[0]!.includes(`DS_MAINTAIN_INTERVAL_MS=${interval}`) &&
    error.problems[0]!.includes(`got ${grace}`);
}

describe('DS_RESUME_GRACE_MS against DS_MAINTAIN_INTERVAL_MS', () => {
  it('the defaults load', () => {
    const settings = loadDsSettings({});
    assert.equal(settings.DS_RESUME_GRACE_MS, 15_000);
    assert.equal(settings.DS_MAINTAIN_INTERVAL_MS, 1000);
  });

  it('refuses a grace no longer than the heartbeat interval, naming both variables', () => {
    for (const [grace, interval] of [
      [1000, 1000],
      [500, 1000],
    ] as const) {
      assert.throws(
        () =>
          loadDsSettings({ DS_RESUME_GRACE_MS: String(grace), DS_MAINTAIN_INTERVAL_MS: String(interval) }),
        graceRefused(grace, interval),
        `${grace}/${interval}`,
      );
    }
  });

  it(`accepts exactly ${MIN_GRACE_HEARTBEATS} intervals and refuses one millisecond less`, () => {
    const at = (grace: number) => ({ DS_RESUME_GRACE_MS: String(grace), DS_MAINTAIN_INTERVAL_MS: '200' });
    assert.equal(loadDsSettings(at(600)).DS_RESUME_GRACE_MS, 600);
    assert.throws(() => loadDsSettings(at(599)), graceRefused(599, 200));
  });

  it('judges the values in effect: a default grace against a longer interval given alone', () => {
    assert.throws(() => loadDsSettings({ DS_MAINTAIN_INTERVAL_MS: '10000' }), graceRefused(15_000, 10_000));
  });

  it('loadDsConfig refuses the same pair, and accepts a good one', () => {
    const keys = { JOIN_TOKEN_PUBLIC_KEYS: 'pem' };
    assert.throws(
      () => loadDsConfig({ ...keys, DS_RESUME_GRACE_MS: '1000', DS_MAINTAIN_INTERVAL_MS: '1000' }),
      graceRefused(1000, 1000),
    );
    const config = loadDsConfig({ ...keys, DS_RESUME_GRACE_MS: '1000', DS_MAINTAIN_INTERVAL_MS: '200' });
    assert.equal(config.DS_RESUME_GRACE_MS, 1000);
    assert.equal(config.DS_MAINTAIN_INTERVAL_MS, 200);
  });

  it('startDs refuses such settings however they were made, before it listens', async () => {
    const settings = {
      ...loadDsSettings({ DS_HOST: '127.0.0.1', DS_PORT: '0' }),
      DS_MAINTAIN_INTERVAL_MS: 15_000,
    };
    await assert.rejects(startDs(settings), graceRefused(15_000, 15_000));
  });
});
