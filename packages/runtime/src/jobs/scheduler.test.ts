import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { BullMqJobScheduler } from './bullmq-scheduler.ts';
import { LocalJobScheduler } from './local-scheduler.ts';
import type { JobScheduler } from './scheduler.ts';

function contract(name: string, make: () => JobScheduler, leftovers: (jobId: string) => Promise<boolean>) {
  describe(`${name} job scheduler`, () => {
    const scheduler = make();
    const ran: Record<string, string>[] = [];
    scheduler.handle('test.job', async (data) => {
      ran.push(data);
    });
    after(() => scheduler.close());

    it('runs a job at its time, once, and keeps no record of it afterwards', async () => {
      await scheduler.start();
      const jobId = `j${Math.random().toString(36).slice(2)}`;
      await scheduler.schedule('test.job', jobId, new Date(Date.now() + 300), { jobId });
      assert.equal(ran.length, 0);
      const deadline = Date.now() + 5000;
      while (!ran.some((d) => d.jobId === jobId) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(
        ran.filter((d) => d.jobId === jobId),
        [{ jobId }],
      );
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await leftovers(jobId), false, 'no job record remains');
    });

    it('a cancelled job never runs', async () => {
      const jobId = `c${Math.random().toString(36).slice(2)}`;
      await scheduler.schedule('test.job', jobId, new Date(Date.now() + 200), { jobId });
      await scheduler.cancel('test.job', jobId);
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(
        ran.some((d) => d.jobId === jobId),
        false,
      );
    });
  });
}

const local = new LocalJobScheduler();
contract(
  'local',
  () => local,
  async () => local.size > 0,
);

const url = process.env.REDIS_URL;
if (!url) throw new Error('REDIS_URL is not set: start the test services with scripts/test-infra.sh start');
contract(
  'BullMQ',
  () => new BullMqJobScheduler(url, 'conclave-runtime-test'),
  async (jobId) => {
    const redis = new Redis(url);
    try {
      for (const key of await redis.keys('bull:conclave-runtime-test:*')) {
        if (key.includes(jobId)) return true;
        const type = await redis.type(key);
        const value =
          type === 'stream'
            ? await redis.xrange(key, '-', '+')
            : type === 'hash'
              ? await redis.hgetall(key)
              : type === 'zset'
                ? await redis.zrange(key, '0', '-1')
                : type === 'list'
                  ? await redis.lrange(key, 0, -1)
                  : '';
        if (JSON.stringify(value).includes(jobId)) return true;
      }
      return false;
    } finally {
      redis.disconnect();
    }
  },
);
