import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Type } from 'typebox';
import { ConfigError, configOrExit, loadConfig } from './env.ts';

const Schema = Type.Object({
  PORT: Type.Integer({ default: 80 }),
  SECRET: Type.String({ minLength: 4 }),
  FLAG: Type.Boolean({ default: false }),
});

describe('loadConfig', () => {
  it('applies defaults and converts numbers and booleans', () => {
    assert.deepEqual(loadConfig(Schema, { SECRET: 'abcd', FLAG: 'true' }), {
      PORT: 80,
      SECRET: 'abcd',
      FLAG: true,
    });
  });

  it('reads <NAME>_FILE when the variable itself is unset, trimming white space', () => {
    const dir = mkdtempSync(join(tmpdir(), 'conclave-config-'));
    try {
      writeFileSync(join(dir, 'secret'), 's3cret-from-file\n');
      assert.equal(loadConfig(Schema, { SECRET_FILE: join(dir, 'secret') }).SECRET, 's3cret-from-file');
      assert.equal(
        loadConfig(Schema, { SECRET: 'direct', SECRET_FILE: join(dir, 'secret') }).SECRET,
        'direct',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a fraction for a whole-number variable instead of truncating it', () => {
    for (const bad of ['12.5', '1e3', '0x10']) {
      assert.throws(
        () => loadConfig(Schema, { SECRET: 'abcd', PORT: bad }),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.problems.some((p) => p.startsWith('PORT: must be a whole number')),
        bad,
      );
    }
    assert.equal(loadConfig(Schema, { SECRET: 'abcd', PORT: ' 8080 ' }).PORT, 8080);
    assert.equal(loadConfig(Schema, { SECRET: 'abcd', PORT: '' }).PORT, 80, 'empty means unset');
  });

  it('reports an unreadable file and every invalid variable at once', () => {
    assert.throws(
      () => loadConfig(Schema, { SECRET_FILE: '/nonexistent/secret', PORT: 'eighty' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.some((p) => p.startsWith('SECRET_FILE: cannot read')) &&
        error.problems.some((p) => p.startsWith('PORT')),
    );
  });
});

describe('configOrExit', () => {
  it('returns the configuration, or prints the problems and exits 78; other errors are thrown', (t) => {
    const printed: unknown[] = [];
    t.mock.method(console, 'error', (message: unknown) => void printed.push(message));
    const exit = t.mock.method(process, 'exit', (code: number) => {
      throw new Error(`exit ${code}`);
    });
    assert.equal(configOrExit(() => loadConfig(Schema, { SECRET: 'abcd' })).SECRET, 'abcd');
    assert.throws(() => configOrExit(() => loadConfig(Schema, {})), /^Error: exit 78$/);
    assert.match(String(printed[0]), /^invalid configuration:\n {2}.*SECRET/);
    assert.throws(
      () =>
        configOrExit(() => {
          throw new TypeError('not about configuration');
        }),
      TypeError,
    );
    assert.equal(exit.mock.callCount(), 1);
  });
});
