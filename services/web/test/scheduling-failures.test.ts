/**
 * Scheduling when the server refuses part or all of a series: the page says how many meetings
 * exist and why the rest do not, and keeps only those.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestEnv, type TestEnv, SUITE_TIMEOUT_MS } from './support/harness.ts';

describe('scheduling when the server goes away', { timeout: SUITE_TIMEOUT_MS }, () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv();
  });
  after(async () => {
    await env?.close();
  });

  it('a series that stops half way says which occurrences exist', async () => {
    const page = await env.newPage();
    await page.goto(`${env.origin}/`, { waitUntil: 'domcontentloaded' });
    let posts = 0;
    // The server goes away after the first meeting of the series is created.
    await page.route('**/v1/meetings', (route) => {
      if (route.request().method() === 'POST' && ++posts > 1) return route.abort('connectionrefused');
      return route.continue();
    });
    await page.selectOption('#schedule-repeat', 'weekly');
    await page.fill('#schedule-count', '3');
    await page.click('#schedule-submit');
    await page.waitForSelector('#schedule-error', { timeout: 30_000 });
    assert.match(
      (await page.textContent('#schedule-error')) ?? '',
      /^Created 1 of 3\. Occurrence 2 \(.+\) could not be created: The server cannot be reached\./,
    );
    assert.equal(
      (await page.$$('#schedule-created .scheduled-meeting')).length,
      1,
      'the one created is shown',
    );
    assert.match((await page.textContent('#list-pending')) ?? '', /1 new meeting/);
  });
});

describe('scheduling on a server that restricts creation', { timeout: SUITE_TIMEOUT_MS }, () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({ env: { CONCLAVE_CREATION: 'key' } });
  });
  after(async () => {
    await env?.close();
  });

  it('says that a creation key is needed and that nothing was created', async () => {
    const page = await env.newPage();
    await page.goto(`${env.origin}/`, { waitUntil: 'domcontentloaded' });
    await page.selectOption('#schedule-repeat', 'weekdays');
    await page.fill('#schedule-count', '5');
    await page.click('#schedule-submit');
    await page.waitForSelector('#schedule-error', { timeout: 30_000 });
    assert.match(
      (await page.textContent('#schedule-error')) ?? '',
      /^Created 0 of 5\. Occurrence 1 \(.+\) could not be created: This server restricts who creates meetings\. .*creation key.* No meeting was created\.$/,
    );
    assert.equal(await page.$('#schedule-created'), null);
    assert.equal(await page.$('#list-pending'), null, 'nothing to keep');
  });
});
