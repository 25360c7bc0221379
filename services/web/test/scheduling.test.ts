/**
 * Scheduling in the host's browser: a series of three meetings, each with its own ID and link,
 * its .ics file read back by a calendar parser, each link joining its own meeting (the server
 * refuses joins before a meeting's start), and the host's encrypted list: stored without a title
 * or link in clear, unlocked with the passphrase only, exported and imported into another profile.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import ICAL from 'ical.js';
import type { Page } from 'playwright-core';
import {
  newListKey,
  openRecord,
  parseRecord,
  sealRecord,
  unlockRecord,
} from '../src/app/schedule/meeting-list-codec.ts';
import { joinMeeting, startTestEnv, type TestEnv, SUITE_TIMEOUT_MS } from './support/harness.ts';

// The stack runs in this process. To join the later occurrences without waiting a day, its clock
// is moved forward; the token verifiers keep the function they were given at start-up, so it is
// replaced before the stack starts.
const realNow = Date.now;
let serverClockAheadMs = 0;
Date.now = () => realNow() + serverClockAheadMs;

const PASSPHRASE = 'correct horse battery staple';
const TITLE = 'Design review; planning, “Ω” ✓';

interface Created {
  link: string;
  hostLink: string;
  meetingId: string;
}

async function download(page: Page, selector: string): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const path = await file.path();
  return readFile(path, 'utf8');
}

const listState = (page: Page) => page.getAttribute('#meeting-list-body', 'data-state');

async function waitForState(page: Page, state: string): Promise<void> {
  await page.waitForSelector(`#meeting-list-body[data-state="${state}"]`, { timeout: 30_000 });
}

const listedLinks = (page: Page) =>
  page.$$eval('#meeting-list input[id^="list-link-"]', (inputs) =>
    inputs.map((i) => (i as HTMLInputElement).value),
  );

describe('scheduling', { timeout: SUITE_TIMEOUT_MS }, () => {
  let env: TestEnv;
  let host: Page;
  let created: Created[] = [];
  let scheduledStart: Date;
  let exported = '';

  before(async () => {
    env = await startTestEnv();
    host = await env.newPage();
  });

  after(async () => {
    Date.now = realNow;
    await env?.close();
  });

  it('schedules a daily series of three, each occurrence its own meeting and link', async () => {
    await host.goto(`${env.origin}/`, { waitUntil: 'domcontentloaded' });
    // Now, to the minute, in the page's time zone: the first occurrence can be joined at once.
    const local = await host.evaluate(() => {
      const d = new Date();
      const pad = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
    });
    scheduledStart = new Date(await host.evaluate((v) => new Date(v).toISOString(), local));
    await host.fill('#schedule-title', TITLE);
    await host.fill('#schedule-start', local);
    await host.fill('#schedule-duration', '45');
    await host.selectOption('#schedule-repeat', 'daily');
    await host.fill('#schedule-count', '3');
    await host.click('#schedule-submit');
    await host.waitForSelector('#schedule-done', { timeout: 30_000 });
    assert.equal(await host.textContent('#schedule-done'), 'Created 3 of 3.');
    const items = await host.$$('#schedule-created .scheduled-meeting');
    assert.equal(items.length, 3);
    created = [];
    for (const item of items) {
      const meetingId = (await item.getAttribute('data-meeting-id'))!;
      created.push({
        meetingId,
        link: await item.$eval('input[id^="new-link-"]', (i) => (i as HTMLInputElement).value),
        hostLink: await item.$eval('input[id^="new-host-"]', (i) => (i as HTMLInputElement).value),
      });
    }
    assert.equal(new Set(created.map((c) => c.meetingId)).size, 3, 'three meeting IDs');
    const passwords = created.map((c) => new URL(c.link).hash.slice(1));
    const hostSecrets = created.map((c) => new URL(c.hostLink).hash.slice(1).split('.')[1]);
    assert.equal(new Set(passwords).size, 3, 'a fresh password each');
    assert.equal(new Set(hostSecrets).size, 3, 'a fresh host secret each');
    for (const c of created) {
      assert.match(c.link, new RegExp(`/m/${c.meetingId}#[A-Za-z0-9_-]{22}$`));
      assert.ok(
        c.hostLink.startsWith(`${c.link}.`),
        'the host link is the participant link and a host secret',
      );
    }
    assert.match(
      (await host.textContent('#schedule-result .privacy-note')) ?? '',
      /Google Calendar, Outlook\.com and Office 365 receive .* participant link, password included/,
    );
    // The calendar buttons carry the participant link, never the host secret.
    const hrefs = await host.$$eval('#schedule-created [data-calendar]', (as) =>
      as.map((a) => (a as HTMLAnchorElement).href),
    );
    assert.equal(hrefs.length, 9);
    for (const [i, href] of hrefs.entries()) {
      const c = created[Math.floor(i / 3)]!;
      const params = new URL(href).searchParams;
      assert.equal(params.get('location'), c.link);
      assert.ok(!href.includes(encodeURIComponent(c.hostLink.split('.').at(-1)!)), 'no host secret');
    }
  });

  it('writes an .ics with one event per occurrence that a calendar parser reads back', async () => {
    const text = await download(host, '#schedule-ics');
    assert.doesNotMatch(text.replace(/\r\n/g, ''), /[\r\n]/, 'CRLF line ends only');
    for (const line of text.split('\r\n')) assert.ok(Buffer.byteLength(line) <= 75, `folded: ${line}`);
    const vcal = new ICAL.Component(ICAL.parse(text));
    assert.equal(vcal.getFirstPropertyValue('method'), 'PUBLISH');
    assert.equal(vcal.getFirstPropertyValue('version'), '2.0');
    assert.ok(vcal.getFirstPropertyValue('prodid'));
    const events = vcal.getAllSubcomponents('vevent');
    assert.equal(events.length, 3);
    assert.equal(new Set(events.map((e) => e.getFirstPropertyValue('uid'))).size, 3, 'distinct UIDs');
    for (const [i, event] of events.entries()) {
      const start = (event.getFirstPropertyValue('dtstart') as ICAL.Time).toJSDate();
      const end = (event.getFirstPropertyValue('dtend') as ICAL.Time).toJSDate();
      assert.equal(start.getTime(), scheduledStart.getTime() + i * 86_400_000, `occurrence ${i + 1} start`);
      assert.equal(end.getTime() - start.getTime(), 45 * 60_000);
      assert.equal(event.getFirstPropertyValue('summary'), `${TITLE} (${i + 1} of 3)`);
      assert.equal(event.getFirstPropertyValue('url'), created[i]!.link, 'the participant link');
      assert.match(
        String(event.getFirstPropertyValue('description')),
        new RegExp(`Join: ${created[i]!.link}`),
      );
      assert.ok(!text.includes(created[i]!.hostLink.split('.').at(-1)!), 'no host secret in the file');
    }
  });

  it('refuses joins before a meeting starts; each link joins its own meeting once it has', async () => {
    // A later occurrence: the server refuses the join with its start time, for a guest and the host.
    for (const c of created.slice(1)) {
      const res = await fetch(`${env.origin}/v1/meetings/${c.meetingId}/join/init`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(res.status, 403);
      const body = (await res.json()) as { error: string; message: string };
      assert.equal(body.error, 'meeting_not_started');
      const i = created.indexOf(c);
      assert.match(
        body.message,
        new RegExp(new Date(scheduledStart.getTime() + i * 86_400_000).toISOString()),
      );
    }
    const early = await env.newPage();
    await early.goto(created[1]!.link, { waitUntil: 'domcontentloaded' });
    await early.waitForSelector('#app[data-error="meeting_not_started"]', { timeout: 30_000 });
    assert.match((await early.textContent('#app')) ?? '', /has not started yet/);
    await early.context().close();

    for (const [i, c] of created.entries()) {
      serverClockAheadMs = i * 86_400_000 + (i ? 60_000 : 0);
      const h = await env.newPage();
      const guest = await env.newPage();
      await joinMeeting(h, c.hostLink, 'Host');
      await joinMeeting(guest, c.link, 'Guest');
      assert.equal(new URL(guest.url()).pathname, `/m/${c.meetingId}`);
      await guest.waitForFunction(() => document.querySelectorAll('.tile').length >= 2, undefined, {
        timeout: 30_000,
      });
      await guest.context().close();
      await h.context().close();
    }
    serverClockAheadMs = 0;
  });

  it('keeps the list encrypted in this browser; the passphrase unlocks it, a wrong one does not', async () => {
    assert.equal(await listState(host), 'none');
    assert.match((await host.textContent('#list-pending')) ?? '', /3 new meeting/);
    await host.fill('#list-passphrase', PASSPHRASE);
    await host.fill('#list-passphrase-again', `${PASSPHRASE}!`);
    await host.click('#list-create');
    await host.waitForSelector('#list-error[data-code="passphrase_mismatch"]', { timeout: 15_000 });
    assert.equal(await listState(host), 'none');
    await host.fill('#list-passphrase-again', PASSPHRASE);
    // How long the key derivation holds the page: the longest gap between 16 ms timer ticks.
    await host.evaluate(() => {
      const w = window as unknown as { gap: number; last: number; timer: number; t0: number };
      w.gap = 0;
      w.last = performance.now();
      w.t0 = w.last;
      w.timer = window.setInterval(() => {
        const now = performance.now();
        w.gap = Math.max(w.gap, now - w.last);
        w.last = now;
      }, 16);
    });
    await host.click('#list-create');
    await waitForState(host, 'unlocked');
    const timing = await host.evaluate(() => {
      const w = window as unknown as { gap: number; timer: number; t0: number };
      clearInterval(w.timer);
      return { gap: Math.round(w.gap), total: Math.round(performance.now() - w.t0) };
    });
    console.log(
      `list created (scrypt N=2^17 r=8 p=1 + AES-GCM): ${timing.total} ms, longest main-thread stall ${timing.gap} ms`,
    );
    // Derived on the page's own thread, one stall would last the whole derivation; in the worker
    // the longest is a small part of it (a ratio, since a loaded machine stretches both).
    assert.ok(
      timing.gap < timing.total / 2,
      `the page stays responsive during key derivation (stall ${timing.gap} of ${timing.total} ms)`,
    );
    assert.deepEqual(
      await listedLinks(host),
      created.map((c) => c.link),
    );

    const stored = (await host.evaluate(() => localStorage.getItem('conclave:meeting-list')))!;
    const record = JSON.parse(stored) as Record<string, unknown>;
    assert.equal(record['format'], 'conclave-meeting-list');
    assert.deepEqual(record['kdf'], { name: 'scrypt', N: 131072, r: 8, p: 1 });
    for (const secret of [
      TITLE,
      'Design review',
      ...created.flatMap((c) => [c.meetingId, c.link.split('#')[1]!]),
    ])
      assert.ok(!stored.includes(secret), `stored bytes hold no ${secret} in clear`);

    await host.reload({ waitUntil: 'domcontentloaded' });
    await waitForState(host, 'locked');
    assert.equal(await host.$('#meeting-list'), null, 'nothing shown while locked');
    await host.fill('#list-passphrase', 'not the passphrase');
    await host.click('#list-unlock');
    await host.waitForSelector('#list-error[data-code="wrong_passphrase"]', { timeout: 30_000 });
    assert.match((await host.textContent('#list-error')) ?? '', /passphrase is wrong/);
    assert.equal(await listState(host), 'locked');
    await host.fill('#list-passphrase', PASSPHRASE);
    await host.click('#list-unlock');
    await waitForState(host, 'unlocked');
    assert.deepEqual(
      await listedLinks(host),
      created.map((c) => c.link),
    );
    await host.click('#list-lock');
    await waitForState(host, 'locked');
    await host.fill('#list-passphrase', PASSPHRASE);
    await host.click('#list-unlock');
    await waitForState(host, 'unlocked');
    exported = await download(host, '#list-export');
    assert.equal(exported, stored, 'the export is the stored record');
  });

  it('imports the exported file into a fresh profile, where the passphrase opens it', async () => {
    const dir = tmpdir();
    const file = join(dir, `conclave-meetings-${process.pid}.json`);
    await writeFile(file, exported);
    const other = await env.newPage();
    await other.goto(`${env.origin}/`, { waitUntil: 'domcontentloaded' });
    await waitForState(other, 'none');
    await other.click('.list-import summary');
    await other.setInputFiles('#list-import-file', file);
    await other.fill('#list-import-passphrase', 'wrong');
    await other.click('#list-import-open');
    await other.waitForSelector('#list-error[data-code="wrong_passphrase"]', { timeout: 30_000 });
    await other.fill('#list-import-passphrase', PASSPHRASE);
    await other.click('#list-import-open');
    await other.waitForSelector('#list-import-accept', { timeout: 30_000 });
    assert.equal(await listState(other), 'none', 'nothing stored before the confirmation');
    await other.click('#list-import-accept');
    await waitForState(other, 'unlocked');
    assert.deepEqual(
      await listedLinks(other),
      created.map((c) => c.link),
    );

    await other.reload({ waitUntil: 'domcontentloaded' });
    await waitForState(other, 'locked');
    await other.fill('#list-passphrase', PASSPHRASE);
    await other.click('#list-unlock');
    await waitForState(other, 'unlocked');
    assert.deepEqual(
      await listedLinks(other),
      created.map((c) => c.link),
    );

    // A changed file and a file that is not a list: a named error, the list left as it was.
    await other.click('.list-import summary');
    const record = JSON.parse(exported) as Record<string, string>;
    const c = record['ciphertext']!;
    const tampered = { ...record, ciphertext: `${c.slice(0, 10)}${c[10] === 'A' ? 'B' : 'A'}${c.slice(11)}` };
    const before = await other.evaluate(() => localStorage.getItem('conclave:meeting-list'));
    for (const [content, code] of [
      [JSON.stringify(tampered), 'tampered'],
      ['{"hello":', 'malformed'],
      [JSON.stringify({ ...record, kdf: { name: 'scrypt', N: 2 ** 24, r: 8, p: 1 } }), 'unsupported_kdf'],
    ] as const) {
      await writeFile(file, content);
      await other.setInputFiles('#list-import-file', file);
      await other.fill('#list-import-passphrase', PASSPHRASE);
      await other.click('#list-import-open');
      await other.waitForSelector(`#list-error[data-code="${code}"]`, { timeout: 30_000 });
      assert.equal(await listState(other), 'unlocked');
    }
    assert.equal(await other.evaluate(() => localStorage.getItem('conclave:meeting-list')), before);
    assert.deepEqual(
      await listedLinks(other),
      created.map((c) => c.link),
    );

    // The same file again merges by meeting ID: nothing doubles.
    await writeFile(file, exported);
    await other.setInputFiles('#list-import-file', file);
    await other.fill('#list-import-passphrase', PASSPHRASE);
    await other.click('#list-import-open');
    await other.waitForSelector('#list-import-accept', { timeout: 30_000 });
    assert.match(
      (await other.textContent('#list-import-confirm')) ?? '',
      /3 meeting\(s\), 0 not in your list/,
    );
    await other.click('#list-import-accept');
    await other.waitForFunction(
      () => document.querySelector('#list-status')?.textContent === 'Imported 0 meeting(s).',
    );
    assert.deepEqual(
      await listedLinks(other),
      created.map((c) => c.link),
    );

    // A file made elsewhere with a meeting that is over: merged in, then cleared with the past ones.
    const key = await newListKey('another passphrase', { name: 'scrypt', N: 2 ** 12, r: 8, p: 1 });
    const past = {
      ...JSON.parse(
        JSON.stringify(
          (await openRecord(parseRecord(exported), await unlockRecord(parseRecord(exported), PASSPHRASE)))[0],
        ),
      ),
      meetingId: '0000000000',
      title: 'Last week',
      start: new Date(realNow() - 8 * 86_400_000).toISOString(),
      end: new Date(realNow() - 8 * 86_400_000 + 1_800_000).toISOString(),
    };
    await writeFile(file, await sealRecord([past], key));
    await other.setInputFiles('#list-import-file', file);
    await other.fill('#list-import-passphrase', 'another passphrase');
    await other.click('#list-import-open');
    await other.waitForSelector('#list-import-accept', { timeout: 30_000 });
    await other.click('#list-import-accept');
    await other.waitForFunction(
      () => document.querySelectorAll('#meeting-list .scheduled-meeting').length === 4,
    );
    await other.click('#list-remove-past');
    await other.waitForFunction(
      () => document.querySelector('#list-status')?.textContent === 'Deleted 1 past meeting(s).',
    );
    assert.deepEqual(
      await listedLinks(other),
      created.map((c) => c.link),
    );
    // One entry deleted by its own button.
    await other.click(`[data-meeting-id="${created[2]!.meetingId}"] button.danger`);
    await other.waitForFunction(
      () => document.querySelectorAll('#meeting-list .scheduled-meeting').length === 2,
    );
    assert.deepEqual(
      await listedLinks(other),
      created.slice(0, 2).map((c) => c.link),
    );

    // Deleting the list leaves nothing behind.
    await other.click('#list-delete');
    await other.click('#list-delete-confirm');
    await waitForState(other, 'none');
    assert.equal(await other.evaluate(() => localStorage.getItem('conclave:meeting-list')), null);
  });
});
