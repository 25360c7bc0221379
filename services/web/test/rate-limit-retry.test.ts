/** The client's answer to a 429: wait with a visible message, back off, retry, and give up in the end. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deriveMeetingSecrets, generatePassword } from '@conclave/e2ee';
import { ApiError } from '../src/app/api.ts';
import { JoinTickets } from '../src/app/join-ticket.ts';
import { RATE_LIMIT_BACKOFF_MS, retryWhenRateLimited } from '../src/app/rate-limit-retry.ts';

const limited = () => new ApiError('rate_limited', 429, 'too many wrong passwords from this address');

function recorder() {
  const waits: number[] = [];
  const slept: number[] = [];
  let retries = 0;
  return {
    waits,
    slept,
    get retries() {
      return retries;
    },
    options: {
      onWait: (ms: number) => waits.push(ms),
      onRetry: () => retries++,
      jitter: () => 1,
      sleep: async (ms: number) => {
        slept.push(ms);
      },
    },
  };
}

describe('retry on 429', () => {
  it('a 429 shows the wait, waits, retries and then succeeds', async () => {
    const r = recorder();
    let calls = 0;
    const result = await retryWhenRateLimited(async () => {
      calls++;
      if (calls < 3) throw limited();
      return 'granted';
    }, r.options);
    assert.equal(result, 'granted');
    assert.equal(calls, 3);
    assert.deepEqual(r.waits, [RATE_LIMIT_BACKOFF_MS[0], RATE_LIMIT_BACKOFF_MS[1]], 'backs off');
    assert.deepEqual(r.slept, r.waits, 'waits as long as it says');
    assert.equal(r.retries, 2);
  });

  it('gives up after the last back-off and surfaces the 429', async () => {
    const r = recorder();
    let calls = 0;
    await assert.rejects(
      retryWhenRateLimited(async () => {
        calls++;
        throw limited();
      }, r.options),
      (e: unknown) => e instanceof ApiError && e.code === 'rate_limited',
    );
    assert.equal(calls, RATE_LIMIT_BACKOFF_MS.length + 1);
    assert.deepEqual(r.waits, [...RATE_LIMIT_BACKOFF_MS]);
  });

  it('does not retry other errors, nor a full lobby (also 429)', async () => {
    for (const error of [
      new ApiError('wrong_password', 401, 'wrong meeting password'),
      new ApiError('lobby_full', 429, 'the lobby is full'),
    ]) {
      const r = recorder();
      let calls = 0;
      await assert.rejects(
        retryWhenRateLimited(async () => {
          calls++;
          throw error;
        }, r.options),
        (e: unknown) => e === error,
      );
      assert.equal(calls, 1);
      assert.deepEqual(r.waits, []);
    }
  });

  it('spreads the waits of people behind one address', async () => {
    const r = recorder();
    let calls = 0;
    await retryWhenRateLimited(
      async () => {
        if (calls++ === 0) throw limited();
        return true;
      },
      { ...r.options, jitter: () => 1.1 },
    );
    assert.deepEqual(r.waits, [Math.round(RATE_LIMIT_BACKOFF_MS[0] * 1.1)]);
  });
});

describe('joining through a 429', () => {
  it('a join ticket waits out a rate-limited join/init (telling the person) and asks again', async () => {
    const link = {
      origin: 'https://meet.example.org',
      meetingId: 'ABCDEFGHJK',
      password: generatePassword(),
    };
    const secrets = await deriveMeetingSecrets(link.meetingId, link.password);
    const asked: string[] = [];
    const answers = [
      { status: 429, body: { error: 'rate_limited', message: 'too many wrong passwords from this address' } },
      { status: 404, body: { error: 'meeting_not_found', message: 'no such meeting' } },
    ];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (path: string) => {
      asked.push(path);
      const { status, body } = answers.shift()!;
      return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    const r = recorder();
    try {
      await assert.rejects(
        new JoinTickets(link, secrets).obtain(r.options),
        (e: unknown) => e instanceof ApiError && e.code === 'meeting_not_found',
      );
    } finally {
      globalThis.fetch = realFetch;
    }
    assert.deepEqual(asked, ['/v1/meetings/ABCDEFGHJK/join/init', '/v1/meetings/ABCDEFGHJK/join/init']);
    assert.deepEqual(r.waits, [RATE_LIMIT_BACKOFF_MS[0]]);
    assert.equal(r.retries, 1);
  });
});
