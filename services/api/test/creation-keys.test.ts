import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { MODES, randomSecret, startApi, type TestApi } from './harness.ts';

const run = promisify(execFile);
const CLI = new URL('../src/cli.ts', import.meta.url).pathname;

for (const mode of MODES) {
  describe(`restricted meeting creation (${mode} stores)`, () => {
    let t: TestApi;
    before(async () => {
      t = await startApi(mode, { CONCLAVE_CREATION: 'key' });
    });
    after(() => t?.close());

    const create = (key?: string) =>
      t.request({
        method: 'POST',
        url: '/v1/meetings',
        payload: { hostSecret: randomSecret() },
        headers: key ? { authorization: `Bearer ${key}` } : {},
      });

    it('creating a meeting without a key is refused with creation_key_required', async () => {
      const res = await create();
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().error, 'creation_key_required');
      assert.equal((await create('ck_not-a-real-key')).json().error, 'creation_key_required');
    });

    it('a minted key creates meetings until it is revoked; only its hash is stored', async () => {
      const { id, key } = await t.deps.creationKeys.mint('ops team');
      assert.equal((await create(key)).statusCode, 201);
      const { rows } = await t.deps.db.sql.query<{ key_hash: Uint8Array }>(
        'SELECT key_hash FROM creation_keys WHERE id = $1',
        [id],
      );
      assert.equal(rows.length, 1);
      assert.equal(Buffer.from(rows[0]!.key_hash).includes(Buffer.from(key)), false);
      assert.equal(JSON.stringify(rows).includes(key), false);
      assert.equal(await t.deps.creationKeys.revoke(id), true);
      assert.equal((await create(key)).json().error, 'creation_key_required');
    });

    it('joining never needs an account or a key', async () => {
      const { key } = await t.deps.creationKeys.mint('join check');
      const res = await create(key);
      const init = await t.request({ method: 'POST', url: `/v1/meetings/${res.json().meetingId}/join/init` });
      assert.equal(init.json().error, 'meeting_not_ready', 'join is reachable without any credential');
    });
  });
}

describe('creation-keys CLI', () => {
  const dir = mkdtempSync(joinPath(tmpdir(), 'conclave-cli-'));
  const env = { ...process.env, CONCLAVE_MODE: 'embedded', CONCLAVE_DATA_DIR: dir, DATABASE_URL: '' };
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('mints, lists and revokes keys, and never lists a key itself', async () => {
    const minted = JSON.parse(
      (await run(process.execPath, [CLI, 'creation-keys', 'mint', '--label', 'laptop'], { env })).stdout,
    );
    assert.match(minted.key, /^ck_/);
    const listed = (await run(process.execPath, [CLI, 'creation-keys', 'list'], { env })).stdout;
    assert.match(listed, /"label":"laptop"/);
    assert.equal(listed.includes(minted.key), false);
    await run(process.execPath, [CLI, 'creation-keys', 'revoke', minted.id], { env });
    assert.match(
      (await run(process.execPath, [CLI, 'creation-keys', 'list'], { env })).stdout,
      /"revoked":true/,
    );
  });

  it('bad usage exits 2 with the usage text', async () => {
    await assert.rejects(
      run(process.execPath, [CLI, 'creation-keys', 'mint'], { env }),
      (error: { code: number }) => error.code === 2,
    );
    await assert.rejects(
      run(process.execPath, [CLI, 'frobnicate'], { env }),
      (error: { code: number; stderr: string }) => {
        return error.code === 2 && error.stderr.includes('usage: conclave-api');
      },
    );
  });
});
