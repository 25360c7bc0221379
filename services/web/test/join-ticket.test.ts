/** The one way to a join token: pre-join SRP, a host's admission, and the SRP join after a drop. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { deriveMeetingSecrets, generatePassword, type MeetingLink } from '@conclave/e2ee';
import type { JoinGranted } from '@conclave/protocol';
import { ApiError } from '../src/app/api.ts';
import {
  type JoinTicketDeps,
  JoinTickets,
  NO_RATE_LIMIT_WAIT,
  REJOIN_RENEW_MS,
  TICKET_MAX_AGE_MS,
} from '../src/app/join-ticket.ts';

const link: MeetingLink = {
  origin: 'https://meet.example.org',
  meetingId: 'ABCDEFGHJK',
  password: generatePassword(),
};
const secrets = await deriveMeetingSecrets(link.meetingId, link.password);
const granted = (rejoin: string): JoinGranted =>
  ({
    token: `token-${rejoin}`,
    rejoin,
    role: 'participant',
    dsUrl: 'wss://ds',
    sfuUrl: 'wss://sfu',
  }) as JoinGranted;

/** A server stand-in that answers every SRP join with the next rejoin secret and records what it was sent. */
function fakeServer() {
  const joins: (string | undefined)[] = [];
  const renewals: string[] = [];
  let clock = 0;
  let next = 0;
  const deps: JoinTicketDeps = {
    requestJoin: async (_meetingId, _srp, _host, rejoin) => {
      joins.push(rejoin);
      return granted(`J${++next}`);
    },
    renewRejoin: async (_meetingId, rejoin) => {
      renewals.push(rejoin);
      return { rejoin: `N${++next}` } as Awaited<ReturnType<JoinTicketDeps['renewRejoin']>>;
    },
    now: () => clock,
  };
  return {
    deps,
    joins,
    renewals,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe('join tickets', () => {
  it('each join carries the rejoin secret of the one before, the admission included', async () => {
    const server = fakeServer();
    const tickets = new JoinTickets(link, secrets, server.deps);
    const first = await tickets.obtain(NO_RATE_LIMIT_WAIT);
    assert.equal(first.granted.rejoin, 'J1');
    tickets.admitted(granted('ADMITTED'));
    await tickets.obtain(NO_RATE_LIMIT_WAIT);
    await tickets.obtain(NO_RATE_LIMIT_WAIT);
    assert.deepEqual(server.joins, [undefined, 'ADMITTED', 'J2']);
    assert.equal(tickets.rejoin, 'J3');
  });

  it('joins asked for at once (media and group both lost) run one after the other, each with the secret before', async () => {
    const server = fakeServer();
    const answer = server.deps.requestJoin;
    let failing = false;
    server.deps.requestJoin = async (...args) => {
      await new Promise((r) => setTimeout(r, 20));
      if (failing) throw new ApiError('network', 0, '');
      return answer(...args);
    };
    const tickets = new JoinTickets(link, secrets, server.deps);
    await tickets.obtain(NO_RATE_LIMIT_WAIT);
    const both = await Promise.all([tickets.obtain(NO_RATE_LIMIT_WAIT), tickets.obtain(NO_RATE_LIMIT_WAIT)]);
    assert.deepEqual(server.joins, [undefined, 'J1', 'J2']);
    assert.deepEqual(
      both.map((t) => t.granted.rejoin),
      ['J2', 'J3'],
    );
    // A failed join does not block the next one.
    failing = true;
    await assert.rejects(tickets.obtain(NO_RATE_LIMIT_WAIT));
    failing = false;
    assert.equal((await tickets.obtain(NO_RATE_LIMIT_WAIT)).granted.rejoin, 'J4');
  });

  it('a fresh ticket is used as it is; an old one is replaced by a new SRP join', async () => {
    const server = fakeServer();
    const tickets = new JoinTickets(link, secrets, server.deps);
    const ticket = await tickets.obtain(NO_RATE_LIMIT_WAIT);
    server.advance(TICKET_MAX_AGE_MS - 1);
    assert.equal(await tickets.fresh(ticket), ticket);
    server.advance(1);
    const replaced = await tickets.fresh(ticket);
    assert.notEqual(replaced, ticket);
    assert.deepEqual(
      server.joins,
      [undefined, 'J1'],
      'the replacement passes a lock with the old rejoin secret',
    );
  });

  it('sends the host secret and the latest rejoin secret with join/init', async () => {
    const bodies: { path: string; body: unknown }[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (path: string, init: RequestInit) => {
      bodies.push({ path, body: JSON.parse(String(init.body)) });
      return new Response(JSON.stringify({ error: 'meeting_not_found', message: 'no such meeting' }), {
        status: 404,
        headers: { 'content-type': 'application/json' },
      });
    }) as typeof fetch;
    try {
      const tickets = new JoinTickets({ ...link, hostSecret: 'H'.repeat(22) }, secrets);
      tickets.admitted(granted('R'.repeat(22)));
      await assert.rejects(
        tickets.obtain(NO_RATE_LIMIT_WAIT),
        (e: unknown) => e instanceof ApiError && e.code === 'meeting_not_found',
      );
    } finally {
      globalThis.fetch = realFetch;
    }
    assert.deepEqual(bodies, [
      {
        path: '/v1/meetings/ABCDEFGHJK/join/init',
        body: { hostSecret: 'H'.repeat(22), rejoin: 'R'.repeat(22) },
      },
    ]);
  });
});

describe('keeping the rejoin secret alive in the meeting', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setInterval'] }));
  afterEach(() => mock.timers.reset());
  const settle = () => new Promise((r) => setImmediate(r));

  it('renews it every ten minutes, and not before the meeting', async () => {
    const server = fakeServer();
    const tickets = new JoinTickets(link, secrets, server.deps);
    await tickets.obtain(NO_RATE_LIMIT_WAIT);
    mock.timers.tick(REJOIN_RENEW_MS);
    assert.deepEqual(server.renewals, [], 'the pre-join ticket is not renewed');
    tickets.keepRejoinAlive(() => false);
    mock.timers.tick(REJOIN_RENEW_MS - 1);
    assert.deepEqual(server.renewals, []);
    mock.timers.tick(1);
    await settle();
    assert.deepEqual(server.renewals, ['J1']);
    assert.equal(tickets.rejoin, 'N2');
    tickets.close();
    mock.timers.tick(REJOIN_RENEW_MS);
    assert.deepEqual(server.renewals, ['J1'], 'closed: no more renewals');
  });

  it('waits while a join is using it, and keeps a newer join’s secret over a late renewal', async () => {
    const server = fakeServer();
    let paused = true;
    let answer: (v: { rejoin: string }) => void = () => {};
    server.deps.renewRejoin = async (_m, rejoin) => {
      server.renewals.push(rejoin);
      return new Promise((r) => {
        answer = r as typeof answer;
      });
    };
    const tickets = new JoinTickets(link, secrets, server.deps);
    await tickets.obtain(NO_RATE_LIMIT_WAIT);
    tickets.keepRejoinAlive(() => paused);
    mock.timers.tick(REJOIN_RENEW_MS);
    assert.deepEqual(server.renewals, [], 'paused');
    paused = false;
    mock.timers.tick(REJOIN_RENEW_MS);
    assert.deepEqual(server.renewals, ['J1']);
    await tickets.obtain(NO_RATE_LIMIT_WAIT);
    answer({ rejoin: 'LATE' });
    await settle();
    assert.equal(tickets.rejoin, 'J2');
    tickets.close();
  });
});
