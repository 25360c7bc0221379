import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';

const MAIN = new URL('../src/main.ts', import.meta.url).pathname;

function startProcess(env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: 'pipe',
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

describe('the API process', { timeout: 180_000 }, () => {
  it('starts, serves, and on SIGTERM stops cleanly with exit code 0', async () => {
    const p = startProcess({ API_PORT: '0', LOG_LEVEL: 'info' });
    const deadline = Date.now() + 90_000;
    let port: number | undefined;
    while (!port && Date.now() < deadline) {
      const line = p
        .output()
        .stdout.split('\n')
        .find((l) => l.includes('"event":"started"'));
      if (line) port = JSON.parse(line).port;
      else await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(port, `the API did not start: ${JSON.stringify(p.output())}`);
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
    assert.match(p.output().stdout, /"event":"stopping","signal":"SIGTERM"/);
  });

  it('refuses to start on invalid configuration, naming each bad variable (exit 78)', async () => {
    const p = startProcess({ API_PORT: 'http', CONCLAVE_MODE: 'distributed' });
    assert.equal(await p.exited, 78);
    const { stderr } = p.output();
    assert.match(stderr, /API_PORT/);
    assert.match(stderr, /DATABASE_URL: required in distributed mode/);
  });
});
