import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { API_ERRORS } from '@conclave/protocol';
import { ConfigError } from '@conclave/runtime';
import { loadApiConfig } from '../src/config.ts';
import { startApi, type TestApi } from './harness.ts';

describe('operations endpoints', () => {
  let t: TestApi;
  before(async () => {
    t = await startApi('embedded');
  });
  after(() => t?.close());

  it('/healthz and /readyz answer 200 while serving', async () => {
    assert.equal((await t.request({ method: 'GET', url: '/healthz' })).statusCode, 200);
    assert.deepEqual((await t.request({ method: 'GET', url: '/readyz' })).json(), { status: 'ready' });
  });

  it('the OpenAPI document lists every public route with its error responses', async () => {
    const doc = (await t.request({ method: 'GET', url: '/v1/openapi.json' })).json();
    assert.equal(doc.openapi, '3.1.0');
    for (const path of [
      '/v1/meetings',
      '/v1/meetings/{meetingId}',
      '/v1/meetings/{meetingId}/verifier',
      '/v1/meetings/{meetingId}/lock',
      '/v1/meetings/{meetingId}/end',
      '/v1/meetings/{meetingId}/rotate',
      '/v1/meetings/{meetingId}/join/init',
      '/v1/meetings/{meetingId}/join/verify',
      '/v1/join-token-keys',
    ]) {
      assert.ok(doc.paths[path], `missing ${path}`);
    }
    assert.ok(doc.paths['/v1/meetings/{meetingId}/join/verify'].post.responses['423']);
    assert.equal(doc.paths['/metrics'], undefined);
  });

  it('the OpenAPI document marks a body optional exactly where the server accepts none', async () => {
    const doc = (await t.request({ method: 'GET', url: '/v1/openapi.json' })).json();
    const bodies = new Map<string, boolean>();
    for (const [path, operations] of Object.entries(
      doc.paths as Record<string, Record<string, { requestBody?: { required: boolean } }>>,
    )) {
      for (const [method, operation] of Object.entries(operations)) {
        if (operation.requestBody) bodies.set(`${method} ${path}`, operation.requestBody.required);
      }
    }
    assert.equal(bodies.get('post /v1/meetings/{meetingId}/join/init'), false);
    assert.equal(bodies.get('post /v1/meetings/{meetingId}/join/verify'), true);
    const optional = [...bodies].filter(([, required]) => !required).map(([op]) => op);
    assert.deepEqual(optional.sort(), [
      'post /v1/meetings/{meetingId}/join/init',
      'post /v1/meetings/{meetingId}/lobby/wait',
    ]);
    for (const op of optional) {
      const [method, path] = op.split(' ') as [string, string];
      const url = path.replace('{meetingId}', 'ABCDEFGHJK').replace('{knockId}', 'A'.repeat(22));
      const res = await t.request({ method: method.toUpperCase() as 'POST', url });
      assert.notEqual(res.json().error, 'bad_request', `${op} without a body: ${res.body}`);
    }
  });

  it('every response forbids caching and referrers', async () => {
    const res = await t.request({ method: 'GET', url: '/v1/join-token-keys' });
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });

  it('error codes map to one HTTP status each', () => {
    assert.equal(API_ERRORS.meeting_locked, 423);
    assert.equal(API_ERRORS.wrong_password, 401);
  });
});

describe('configuration', () => {
  it('bad values are all reported at once, by variable name', () => {
    assert.throws(
      () => loadApiConfig({ API_PORT: 'eighty', CONCLAVE_CREATION: 'maybe', CONCLAVE_MODE: 'embedded' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.some((p) => p.startsWith('API_PORT')) &&
        error.problems.some((p) => p.startsWith('CONCLAVE_CREATION')),
    );
  });

  it('distributed mode names every missing variable', () => {
    assert.throws(
      () => loadApiConfig({ CONCLAVE_MODE: 'distributed' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        ['DATABASE_URL', 'REDIS_URL', 'CONCLAVE_JOIN_TOKEN_PRIVATE_KEY', 'CONCLAVE_STATE_KEY'].every((name) =>
          error.problems.some((p) => p.startsWith(name)),
        ),
    );
  });

  it('defaults give a working embedded configuration', () => {
    const config = loadApiConfig({});
    assert.equal(config.CONCLAVE_MODE, 'embedded');
    assert.equal(config.API_PORT, 8080);
    assert.equal(config.CONCLAVE_CREATION, 'open');
  });
});
