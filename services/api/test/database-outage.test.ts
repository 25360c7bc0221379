import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createMeeting, type OwnStores, ownStores, startApi, type TestApi } from './harness.ts';

describe('PostgreSQL drops the API’s connections (restart, failover, an administrator)', () => {
  let t: TestApi;
  let stores: OwnStores;
  before(async () => {
    stores = await ownStores('distributed');
    t = await startApi('distributed', stores.env);
  });
  after(async () => {
    await t?.close();
    await stores?.release();
  });

  it('the API keeps running, stays ready, and the next request gets a fresh connection', async () => {
    await createMeeting(t);
    const admin = new pg.Client({ connectionString: stores.env.DATABASE_URL });
    await admin.connect();
    try {
      const { rows } = await admin.query(
        'SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      assert.ok(rows.length >= 1, 'the API held connections to terminate');
    } finally {
      await admin.end();
    }
    await new Promise((r) => setTimeout(r, 200));
    // Readiness too: a pod whose PostgreSQL moved must become Ready again by itself.
    const ready = await t.request({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200, `readyz after the outage: ${ready.body}`);
    const m = await createMeeting(t);
    const info = await t.request({ method: 'GET', url: `/v1/meetings/${m.meetingId}` });
    assert.equal(info.statusCode, 200);
  });
});
