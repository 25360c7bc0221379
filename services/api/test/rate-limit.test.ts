import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LocalExpiringStore } from '@conclave/runtime';
import { Redis } from 'ioredis';
import { awayFromWindowEdge, createMeeting, join, MODES, startApi, type TestApi } from './harness.ts';

// Addresses unique to this run: buckets in a shared Redis must not carry counts from elsewhere.
const octet = () => Math.floor(Math.random() * 250) + 1;
const hextet = () => Math.floor(Math.random() * 0xffff).toString(16);
const FAILED_PROOFS = 3;

for (const mode of MODES) {
  describe(`rate limits (${mode} stores)`, () => {
    let t: TestApi;
    const source = `203.0.113.${octet()}`;
    const creator = `198.18.${octet()}.${octet()}`;
    const from = (address: string) => ({ 'x-forwarded-for': address });
    /** The status a whole join ends with: the verify's, or the init's when init was refused. */
    const joinStatus = async (meetingId: string, password: string, address: string) => {
      const { init, verify } = await join(t, meetingId, password, {}, undefined, from(address));
      return (verify ?? init).statusCode;
    };
    before(async () => {
      t = await startApi(mode, {
        CONCLAVE_TRUST_PROXY: 'true',
        CONCLAVE_FAILED_JOINS_PER_SOURCE: String(FAILED_PROOFS),
        CONCLAVE_RATE_PER_SOURCE: '60',
      });
    });
    after(() => t?.close());

    it('40 join/init from one source for a meeting do not stop a legitimate join from another source', async () => {
      const m = await createMeeting(t, {}, from(creator));
      const flooder = `198.19.${octet()}.${octet()}`;
      await awayFromWindowEdge();
      const statuses = new Set<number>();
      for (let i = 0; i < 40; i++) {
        const res = await t.request({
          method: 'POST',
          url: `/v1/meetings/${m.meetingId}/join/init`,
          headers: from(flooder),
        });
        statuses.add(res.statusCode);
      }
      assert.deepEqual([...statuses], [200], 'asking for a challenge is not a failed proof');
      assert.equal(await joinStatus(m.meetingId, m.password, `198.20.${octet()}.${octet()}`), 200);
    });

    it('failed proofs from one source get 429 for that source only', async () => {
      const m = await createMeeting(t, {}, from(creator));
      const guesser = `198.21.${octet()}.${octet()}`;
      await awayFromWindowEdge();
      const statuses = [];
      for (let i = 0; i < FAILED_PROOFS + 2; i++)
        statuses.push(await joinStatus(m.meetingId, 'wrong', guesser));
      assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
      const refused = await t.request({
        method: 'POST',
        url: `/v1/meetings/${m.meetingId}/join/init`,
        headers: from(guesser),
      });
      assert.equal(refused.json().error, 'rate_limited');
      assert.equal(
        await joinStatus(m.meetingId, m.password, guesser),
        429,
        'the source stays refused for the window',
      );
      assert.equal(await joinStatus(m.meetingId, m.password, `198.22.${octet()}.${octet()}`), 200);
      const other = await createMeeting(t, {}, from(creator));
      assert.equal(
        await joinStatus(other.meetingId, other.password, guesser),
        200,
        'other meetings are unaffected',
      );
    });

    it('IPv6 sources share a bucket per /64: the same /64 is refused together, another /64 is not', async () => {
      const m = await createMeeting(t, {}, from(creator));
      const prefix = `2001:db8:${hextet()}:${hextet()}`;
      await awayFromWindowEdge();
      for (let i = 0; i < FAILED_PROOFS; i++) {
        assert.equal(await joinStatus(m.meetingId, 'wrong', `${prefix}::${(i + 1).toString(16)}`), 401);
      }
      assert.equal(await joinStatus(m.meetingId, m.password, `${prefix}:ffff:1:2:3`), 429, 'same /64');
      const neighbour = `2001:db8:${hextet()}:${hextet()}::1`;
      assert.equal(await joinStatus(m.meetingId, m.password, neighbour), 200, 'another /64');
    });

    it('requests per source are limited, other sources are not, and no address is stored', async () => {
      let limited = 0;
      await awayFromWindowEdge();
      for (let i = 0; i < 65; i++) {
        const res = await t.request({
          method: 'GET',
          url: '/v1/join-token-keys',
          headers: from(source),
        });
        if (res.statusCode === 429) {
          limited++;
          assert.equal(res.json().error, 'rate_limited');
        }
      }
      assert.equal(limited, 5);
      const notApi = await t.request({ method: 'GET', url: '/assets/app.js', headers: from(source) });
      assert.equal(notApi.statusCode, 404, 'files outside /v1 (the embedded web client) are not counted');
      const other = await t.request({
        method: 'GET',
        url: '/v1/join-token-keys',
        headers: from(`198.18.${octet()}.${octet()}`),
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
