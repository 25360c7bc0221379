import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LocalExpiringStore } from '@conclave/runtime';
import { Redis } from 'ioredis';
import { awayFromWindowEdge, createMeeting, MODES, startApi, type TestApi } from './harness.ts';

for (const mode of MODES) {
  describe(`rate limits (${mode} stores)`, () => {
    let t: TestApi;
    // Addresses unique to this run: buckets in a shared Redis must not carry counts from elsewhere.
    const octet = () => Math.floor(Math.random() * 250) + 1;
    const source = `203.0.113.${octet()}`;
    const creator = `198.18.${octet()}.${octet()}`;
    before(async () => {
      t = await startApi(mode, {
        CONCLAVE_TRUST_PROXY: 'true',
        CONCLAVE_JOIN_RATE_PER_MEETING: '5',
        CONCLAVE_RATE_PER_SOURCE: '40',
      });
    });
    after(() => t?.close());

    it('join attempts per meeting are limited; other meetings are unaffected', async () => {
      const busy = await createMeeting(t, {}, { 'x-forwarded-for': creator });
      const quiet = await createMeeting(t, {}, { 'x-forwarded-for': creator });
      const statuses = [];
      await awayFromWindowEdge();
      for (let i = 0; i < 7; i++) {
        const res = await t.request({
          method: 'POST',
          url: `/v1/meetings/${busy.meetingId}/join/init`,
          headers: { 'x-forwarded-for': `198.19.${octet()}.${i + 10}` },
        });
        statuses.push(res.statusCode);
      }
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
      const other = await t.request({
        method: 'POST',
        url: `/v1/meetings/${quiet.meetingId}/join/init`,
        headers: { 'x-forwarded-for': creator },
      });
      assert.equal(other.statusCode, 200);
    });

    it('requests per source are limited, other sources are not, and no address is stored', async () => {
      let limited = 0;
      await awayFromWindowEdge();
      for (let i = 0; i < 45; i++) {
        const res = await t.request({
          method: 'GET',
          url: '/v1/join-token-keys',
          headers: { 'x-forwarded-for': source },
        });
        if (res.statusCode === 429) {
          limited++;
          assert.equal(res.json().error, 'rate_limited');
        }
      }
      assert.equal(limited, 5);
      const other = await t.request({
        method: 'GET',
        url: '/v1/join-token-keys',
        headers: { 'x-forwarded-for': `198.18.${octet()}.${octet()}` },
      });
      assert.equal(other.statusCode, 200);
      if (mode === 'distributed') {
        const redis = new Redis(process.env.REDIS_URL!);
        const keys = await redis.keys('*');
        const values = await Promise.all(
          keys.map((k) => redis.type(k).then((type) => (type === 'string' ? redis.get(k) : ''))),
        );
        assert.equal(JSON.stringify([keys, values]).includes(source), false);
        const buckets = keys.filter((k) => k.startsWith('conclave:api:rl:s:'));
        assert.ok(buckets.length > 0);
        const ttl = await redis.pttl(buckets[0]!);
        redis.disconnect();
        assert.ok(ttl > 0 && ttl <= 60_000, 'every bucket expires with its window');
      } else {
        assert.ok(t.deps.ephemeral instanceof LocalExpiringStore);
        assert.ok(t.deps.ephemeral.size > 0);
      }
    });
  });
}
