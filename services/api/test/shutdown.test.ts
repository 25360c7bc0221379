import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createMeeting, startApi, type TestApi } from './harness.ts';

// Docker and Kubernetes give a stopping container 10 s (terminationGracePeriodSeconds 30) before
// SIGKILL. A host's lobby long-poll (up to 25 s) must not hold the API past that.
describe('shutdown', () => {
  let t: TestApi | undefined;
  after(async () => {
    await t?.close().catch(() => undefined);
  });

  it('answers open lobby long-polls and stops within a couple of seconds', async () => {
    t = await startApi('embedded');
    const m = await createMeeting(t);
    await t.api.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = t.api.app.server.address() as { port: number };
    const poll = fetch(`http://127.0.0.1:${port}/v1/meetings/${m.meetingId}/lobby/wait`, {
      method: 'POST',
      headers: { authorization: `Bearer ${m.hostSecret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ waitSeconds: 25 }),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = performance.now();
    await t.api.shutdown();
    const took = performance.now() - started;
    t = undefined;
    const answered = await poll;
    assert.ok(took < 3000, `shutdown took ${Math.round(took)} ms`);
    assert.equal(answered.status, 200);
    assert.deepEqual(await answered.json(), { knocks: [] });
  });
});
