import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { sep } from 'node:path';
import { test } from 'node:test';

test('importing the package does not load mediasoup until a server starts', async () => {
  // The runtime package loads CommonJS modules (ioredis), so an empty require cache cannot pass.
  await import('@conclave/runtime');
  const sfu = await import('./index.ts');
  assert.equal(typeof sfu.startSfu, 'function');
  const loaded = Object.keys(createRequire(import.meta.url).cache);
  assert.ok(loaded.length > 0, 'CommonJS modules are visible in the require cache');
  assert.ok(!loaded.some((path) => path.includes(`${sep}mediasoup${sep}`)), 'mediasoup was loaded');
});
