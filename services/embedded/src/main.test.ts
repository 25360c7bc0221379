import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

describe('make dev (src/main.ts)', () => {
  it('refuses a bad configuration with its problems and exit code 78, before listening', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'conclave-embedded-config-'));
    try {
      const run = spawnSync(process.execPath, [new URL('./main.ts', import.meta.url).pathname], {
        env: {
          ...process.env,
          CONCLAVE_DATA_DIR: dataDir,
          // A grace the DS refuses: a live member's session could expire between heartbeats.
          DS_RESUME_GRACE_MS: '1000',
          DS_MAINTAIN_INTERVAL_MS: '1000',
        },
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(run.status, 78, run.stderr);
      assert.match(run.stderr, /^invalid configuration:\n {2}DS_RESUME_GRACE_MS: /m);
      assert.doesNotMatch(run.stdout, /Conclave is running/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
