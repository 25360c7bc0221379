import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from './logger.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(...chunk.toString().trim().split('\n'));
      done();
    },
  });
  return { lines, destination };
}

describe('logger allow-list', () => {
  it('drops fields that are not on the allow-list, keeps the ones that are', async () => {
    const { lines, destination } = capture();
    const log = createLogger({ service: 'test', destination });
    log.info(
      {
        route: '/v1/meetings',
        status: 201,
        ip: '203.0.113.9',
        userAgent: 'Firefox',
        name: 'Alice',
        sid: 'abc',
      },
      'request',
    );
    await new Promise((r) => setImmediate(r));
    const line = JSON.parse(lines[0]!);
    assert.equal(line.route, '/v1/meetings');
    assert.equal(line.status, 201);
    for (const forbidden of ['ip', 'userAgent', 'name', 'sid', 'hostname'])
      assert.equal(forbidden in line, false);
  });

  it('serializes errors as type, message and code only', async () => {
    const { lines, destination } = capture();
    const log = createLogger({ service: 'test', destination });
    const error = Object.assign(new Error('boom'), { code: 'E_X', request: { ip: '198.51.100.1' } });
    log.error({ err: error }, 'failed');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(JSON.parse(lines[0]!).err, { type: 'Error', message: 'boom', code: 'E_X' });
    assert.equal(lines[0]!.includes('198.51.100.1'), false);
  });
});
