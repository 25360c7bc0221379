import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '@conclave/runtime';
import { loadApiConfig } from '../src/config.ts';
import { createMeeting, join, MODES, startApi, type TestApi } from './harness.ts';

for (const mode of MODES) {
  describe(`scheduled key rotation in the join answer (${mode} stores)`, () => {
    let t: TestApi;
    let off: TestApi;
    before(async () => {
      t = await startApi(mode, { CONCLAVE_KEY_ROTATION_SECONDS: '45' });
      off = await startApi(mode, { CONCLAVE_KEY_ROTATION_SECONDS: '0' });
    });
    after(async () => {
      await t?.close();
      await off?.close();
    });

    it('every join answer tells the client the configured interval', async () => {
      const m = await createMeeting(t);
      const { verify } = await join(t, m.meetingId, m.password);
      assert.equal(verify!.statusCode, 200);
      assert.equal(verify!.json().keyRotationSeconds, 45);
    });

    it('0 turns rotation off and says so', async () => {
      const m = await createMeeting(off);
      const { verify } = await join(off, m.meetingId, m.password);
      assert.equal(verify!.json().keyRotationSeconds, 0);
    });
  });
}

describe('CONCLAVE_KEY_ROTATION_SECONDS', () => {
  it('defaults to 600 seconds', () => {
    assert.equal(loadApiConfig({}).CONCLAVE_KEY_ROTATION_SECONDS, 600);
  });

  it('refuses values that are not 0 or a whole number of at least 10 seconds', () => {
    for (const bad of ['5', '-1', 'ten', '86401']) {
      assert.throws(
        () => loadApiConfig({ CONCLAVE_KEY_ROTATION_SECONDS: bad }),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.problems.some((p) => p.startsWith('CONCLAVE_KEY_ROTATION_SECONDS')),
        bad,
      );
    }
    assert.equal(loadApiConfig({ CONCLAVE_KEY_ROTATION_SECONDS: '10' }).CONCLAVE_KEY_ROTATION_SECONDS, 10);
  });
});
