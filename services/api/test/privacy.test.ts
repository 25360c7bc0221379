import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SRPClientSession } from 'tssrp6a';
import {
  capturedLogLines,
  createMeeting,
  join,
  MODES,
  randomSecret,
  srpRoutines,
  startApi,
  storedKey,
  type TestApi,
} from './harness.ts';

/** Columns the API's schema may have; anything else must be reviewed for participant data first. */
const ALLOWED_COLUMNS: Record<string, string[]> = {
  meetings: [
    'id',
    'srp_salt',
    'srp_verifier',
    'verifier_deadline',
    'host_secret_hash',
    'locked',
    'permanent',
    'starts_at',
    'expires_at',
    'idle_until',
    'room_generation',
  ],
  creation_keys: ['id', 'key_hash', 'label', 'created_at', 'revoked_at'],
  _prisma_migrations: [
    'id',
    'checksum',
    'finished_at',
    'migration_name',
    'logs',
    'rolled_back_at',
    'started_at',
    'applied_steps_count',
  ],
};
const PARTICIPANT_WORDS = /name|ip|addr|agent|participant|session|user|member|join|email|device|peer|sid/i;

async function knockOn(
  t: TestApi,
  meetingId: string,
  password: string,
  sealedName: string,
  headers: Record<string, string>,
) {
  const init = (
    await t.request({ method: 'POST', url: `/v1/meetings/${meetingId}/knock/init`, headers })
  ).json();
  const step1 = await new SRPClientSession(srpRoutines).step1(meetingId, password);
  const step2 = await step1.step2(BigInt(`0x${init.salt}`), BigInt(`0x${init.B}`));
  return t.request({
    method: 'POST',
    url: `/v1/meetings/${meetingId}/knock/verify`,
    headers,
    payload: { state: init.state, A: step2.A.toString(16), M1: step2.M1.toString(16), sealedName },
  });
}

for (const mode of MODES) {
  describe(`privacy (${mode} stores)`, () => {
    let t: TestApi;
    const secrets: string[] = [];
    before(async () => {
      t = await startApi(mode, { CONCLAVE_TRUST_PROXY: 'true' });
    });
    after(() => t?.close());

    it('the schema has no table or column that could hold participant data', async () => {
      const { rows } = await t.deps.db.sql.query<{ table_name: string; column_name: string }>(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2",
      );
      const tables = new Map<string, string[]>();
      for (const row of rows)
        tables.set(row.table_name, [...(tables.get(row.table_name) ?? []), row.column_name]);
      assert.deepEqual([...tables.keys()].sort(), Object.keys(ALLOWED_COLUMNS).sort());
      for (const [table, columns] of tables) {
        assert.deepEqual(columns.sort(), [...ALLOWED_COLUMNS[table]!].sort(), `columns of ${table}`);
        if (table === '_prisma_migrations') continue;
        for (const column of columns) assert.doesNotMatch(column, PARTICIPANT_WORDS, `${table}.${column}`);
      }
    });

    it('a join leaves at most a day-granular date on the room, never a time', async () => {
      const { rows: columns } = await t.deps.db.sql.query<{ column_name: string; data_type: string }>(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'meetings'",
      );
      const typeOf = new Map(columns.map((c) => [c.column_name, c.data_type]));
      const timed = columns.filter((c) => c.data_type.startsWith('timestamp')).map((c) => c.column_name);
      assert.deepEqual(
        timed.sort(),
        ['expires_at', 'starts_at', 'verifier_deadline'],
        'only deadlines carry a time',
      );
      assert.equal(typeOf.get('idle_until'), 'date');
      const m = await createMeeting(t, { permanent: true });
      // A date the join must push forward, so the join writes the row.
      await t.deps.db.sql.query('UPDATE meetings SET idle_until = current_date + 1 WHERE id = $1', [
        storedKey(t, m.meetingId),
      ]);
      const row = async () =>
        (
          await t.deps.db.sql.query<Record<string, unknown>>('SELECT * FROM meetings WHERE id = $1', [
            storedKey(t, m.meetingId),
          ])
        ).rows[0]!;
      const before = await row();
      assert.equal((await join(t, m.meetingId, m.password)).verify?.statusCode, 200);
      const after = await row();
      const changed = Object.keys(after).filter(
        (k) => JSON.stringify(after[k]) !== JSON.stringify(before[k]),
      );
      assert.deepEqual(changed, ['idle_until'], 'a join changes nothing but the room-level date');
    });

    it('a full meeting life leaves nothing about participants in the database', async () => {
      const m = await createMeeting(t);
      secrets.push(m.password, m.hostSecret, m.meetingId);
      const joined = await join(t, m.meetingId, m.password);
      const token = joined.verify!.json().token as string;
      const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
      secrets.push(
        token,
        claims.sid,
        claims.room,
        claims.grp,
        joined.step2!.A.toString(16),
        joined.step2!.M1.toString(16),
      );
      await join(t, m.meetingId, randomSecret());
      const dump = JSON.stringify((await t.deps.db.sql.query('SELECT * FROM meetings')).rows);
      assert.equal(dump.includes(claims.sid), false, 'no session ID stored');
      // Nor the meeting's own names: a row, a WAL segment or a dead tuple links to no link or call.
      assert.equal(dump.includes(m.meetingId), false, 'no meeting ID stored');
      assert.equal(dump.includes(claims.room), false, 'no SFU room ID stored');
      assert.equal(dump.includes(claims.grp), false, 'no MLS group ID stored');
      assert.equal(dump.includes('198.51.100.23'), false);
      assert.equal(dump.includes('ProbeAgent'), false);
    });

    it('log lines carry none of the forbidden fields or values', async () => {
      const headers = { 'x-forwarded-for': '198.51.100.23', 'user-agent': 'ProbeAgent/9.9 (privacy-canary)' };
      const m = await createMeeting(t, {}, headers);
      secrets.push(m.password, m.hostSecret, m.meetingId);
      await t.request({ method: 'POST', url: `/v1/meetings/${m.meetingId}/join/init`, headers });
      await t.request({
        method: 'POST',
        url: `/v1/meetings/${m.meetingId}/join/verify`,
        headers,
        payload: { state: 'x', A: 'zz', M1: 1 },
      });
      await t.request({ method: 'GET', url: `/v1/meetings/${m.meetingId}#${m.password}`, headers });
      // A knock on the locked meeting: its ID, secret and sealed name stay out of the logs too.
      await t.request({
        method: 'PUT',
        url: `/v1/meetings/${m.meetingId}/lock`,
        headers: { ...headers, authorization: `Bearer ${m.hostSecret}` },
        payload: { locked: true },
      });
      const sealedName = `sealedNameCanary${randomSecret()}`;
      const knock = await knockOn(t, m.meetingId, m.password, sealedName, headers);
      assert.equal(knock.statusCode, 202, knock.body);
      const { knockId, knockSecret } = knock.json();
      secrets.push(sealedName, knockId, knockSecret);
      const lobby = await t.request({
        method: 'POST',
        url: `/v1/meetings/${m.meetingId}/lobby/wait`,
        headers: { ...headers, authorization: `Bearer ${m.hostSecret}` },
        payload: { waitSeconds: 0 },
      });
      assert.equal(lobby.json().knocks[0].sealedName, sealedName);
      await t.request({
        method: 'POST',
        url: `/v1/meetings/${m.meetingId}/lobby/${knockId}/admit`,
        headers: { ...headers, authorization: `Bearer ${m.hostSecret}` },
      });
      const admitted = await t.request({
        method: 'POST',
        url: `/v1/meetings/${m.meetingId}/knock/${knockId}/wait`,
        headers,
        payload: { knockSecret, waitSeconds: 0 },
      });
      assert.equal(admitted.statusCode, 200);
      secrets.push(admitted.json().token, admitted.json().rejoin);
      await t.request({
        method: 'POST',
        url: `/v1/meetings/${m.meetingId}/end`,
        headers: { ...headers, authorization: `Bearer ${m.hostSecret}` },
      });
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(
        capturedLogLines.filter((l) => l.includes('"event":"request"')).length >= 3,
        'the API must have logged requests (creation, lock, end)',
      );
      const allowedKeys = new Set([
        'level',
        'time',
        'service',
        'msg',
        'event',
        'route',
        'method',
        'status',
        'ms',
        'reason',
        'kind',
        'err',
        'code',
        'count',
        'mode',
        'port',
      ]);
      for (const line of capturedLogLines) {
        const parsed = JSON.parse(line);
        for (const key of Object.keys(parsed))
          assert.ok(allowedKeys.has(key), `unexpected log field ${key}: ${line}`);
        for (const forbidden of [
          '198.51.100.23',
          '127.0.0.1',
          'ProbeAgent',
          'authorization',
          'Bearer',
          ...secrets,
        ]) {
          assert.equal(line.includes(forbidden), false, `log line contains ${forbidden}: ${line}`);
        }
      }
    });

    it('the request log is no join timeline: joins, renewals and knocks are counted, not logged', async () => {
      const from = capturedLogLines.length;
      const m = await createMeeting(t);
      const joined = await join(t, m.meetingId, m.password);
      assert.equal(joined.verify?.statusCode, 200, joined.verify?.body);
      // Renewable once the delivery service confirms the session in the group, as it does live.
      const { sid } = JSON.parse(
        Buffer.from(joined.verify!.json().token.split('.')[1], 'base64url').toString(),
      );
      await t.deps.bus.publish({ type: 'session.joined', sid });
      await new Promise((r) => setTimeout(r, 150));
      const renewed = await t.request({
        method: 'POST',
        url: `/v1/meetings/${m.meetingId}/rejoin/renew`,
        payload: { rejoin: joined.verify!.json().rejoin },
      });
      assert.equal(renewed.statusCode, 200, renewed.body);
      const host = { authorization: `Bearer ${m.hostSecret}` };
      await t.request({
        method: 'PUT',
        url: `/v1/meetings/${m.meetingId}/lock`,
        headers: host,
        payload: { locked: true },
      });
      const knock = await knockOn(t, m.meetingId, m.password, `sealed${randomSecret()}`, {});
      assert.equal(knock.statusCode, 202, knock.body);
      const { knockId, knockSecret } = knock.json();
      await t.request({
        method: 'POST',
        url: `/v1/meetings/${m.meetingId}/lobby/wait`,
        headers: host,
        payload: { waitSeconds: 0 },
      });
      await t.request({
        method: 'POST',
        url: `/v1/meetings/${m.meetingId}/lobby/${knockId}/admit`,
        headers: host,
      });
      await t.request({
        method: 'POST',
        url: `/v1/meetings/${m.meetingId}/knock/${knockId}/wait`,
        payload: { knockSecret, waitSeconds: 0 },
      });
      await t.request({ method: 'GET', url: `/v1/meetings/${m.meetingId}` });
      await new Promise((r) => setTimeout(r, 100));
      const routes = capturedLogLines
        .slice(from)
        .map((line) => JSON.parse(line) as { event?: string; route?: string })
        .filter((l) => l.event === 'request')
        .map((l) => l.route);
      // Not vacuous: the request log is on, and the meeting's creation and lock are in it.
      assert.ok(routes.includes('/v1/meetings'), `creation logged: ${routes.join(', ')}`);
      assert.ok(routes.includes('/v1/meetings/:meetingId/lock'), `lock logged: ${routes.join(', ')}`);
      const participant = routes.filter((r) =>
        /join|rejoin|knock|lobby|^\/v1\/meetings\/:meetingId$/.test(r ?? ''),
      );
      assert.deepEqual(participant, [], 'per-participant request lines');
      const metrics = (await t.request({ method: 'GET', url: '/metrics' })).body;
      for (const route of ['join/verify', 'rejoin/renew', 'knock/verify'])
        assert.match(metrics, new RegExp(`route="/v1/meetings/:meetingId/${route}"`), `${route} counted`);
    });

    it('metrics have no per-meeting labels', async () => {
      const metrics = (await t.request({ method: 'GET', url: '/metrics' })).body;
      assert.match(metrics, /conclave_api_http_request_duration_seconds/);
      for (const value of secrets) assert.equal(metrics.includes(value), false);
      assert.doesNotMatch(
        metrics,
        /\/v1\/meetings\/[0-9A-Z]{10}/,
        'routes are labelled by pattern, not by URL',
      );
    });
  });
}
