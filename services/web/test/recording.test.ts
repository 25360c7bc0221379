/**
 * Local recording against the real stack in Chromium: a participant records while someone
 * joins and the keys rotate; the WebM written through the origin's private file system (the
 * path a browser without a file picker takes) has picture and sound, decodes whole and lasts as
 * long as the recording; everyone, the late joiner too, saw who recorded until it stopped. And
 * the host's "ask before recording": a denied request records nothing, an allowed one records.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  chatBothWays,
  createMeeting,
  diagnostics,
  eventually,
  joinMeeting,
  openPanel,
  startTestEnv,
  type TestEnv,
  SUITE_TIMEOUT_MS,
} from './support/harness.ts';
import { pageWithoutPicker, probeRecording } from './support/recording-file.ts';

const ROTATION_SECONDS = 10;

const banner = async (page: Page) =>
  (await page.isVisible('#recording-banner')) ? ((await page.textContent('#recording-banner')) ?? '') : '';

/** The size of the recording being written in the page's private file system (bytes, 0: none). */
const privateRecordingBytes = (page: Page) =>
  page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    let bytes = 0;
    for await (const [name, handle] of (
      root as unknown as { entries(): AsyncIterable<[string, FileSystemFileHandle]> }
    ).entries())
      if (name.startsWith('recording-')) bytes += (await handle.getFile()).size;
    return bytes;
  });

describe('local recording', { timeout: SUITE_TIMEOUT_MS }, () => {
  let env: TestEnv;
  let dir: string;

  before(async () => {
    env = await startTestEnv({ env: { CONCLAVE_KEY_ROTATION_SECONDS: String(ROTATION_SECONDS) } });
    dir = await mkdtemp(join(tmpdir(), 'conclave-recording-'));
  });

  after(async () => {
    await env?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('records grid and sound through joins and key rotation, and everyone is told', async () => {
    const ada = await pageWithoutPicker(env);
    const bo = await pageWithoutPicker(env);
    const cy = await pageWithoutPicker(env);
    const created = await createMeeting(ada, env.origin);
    await joinMeeting(ada, created.hostLink, 'Ada');
    await joinMeeting(bo, created.link, 'Bo');
    // Two cameras are enough to record real pictures; four would fill two cores before the recorder runs.
    await joinMeeting(cy, created.link, 'Cy', { camera: false });
    await eventually(
      'three members in one group',
      () => Promise.all([ada, bo, cy].map(diagnostics)),
      (d) => d.every((x) => x.size === 3 && x.roster.length === 3),
      30_000,
    );
    await chatBothWays(ada, bo, ['hello from Ada', 'hi from Bo']);

    await bo.click('#toggle-record');
    const startedAt = Date.now();
    await eventually(
      'Bo records',
      () => bo.getAttribute('#toggle-record', 'aria-pressed'),
      (p) => p === 'true',
    );
    assert.equal(await banner(bo), 'You are recording');
    for (const page of [ada, cy])
      await eventually(
        'the others see Bo recording',
        () => banner(page),
        (t) => t === 'Bo is recording',
      );
    // Screen readers hear it: the notice goes to the live region.
    assert.match((await ada.textContent('#announcer')) ?? '', /Bo is recording/);

    // Chunks reach the disk as they come, not at the end.
    const early = await eventually(
      'the first chunks on disk',
      () => privateRecordingBytes(bo),
      (b) => b > 0,
      10_000,
    );
    await eventually(
      'more chunks on disk',
      () => privateRecordingBytes(bo),
      (b) => b > early,
      10_000,
    );

    const dee = await pageWithoutPicker(env);
    await joinMeeting(dee, created.link, 'Dee', { camera: false });
    await eventually(
      'the late joiner sees Bo recording',
      () => banner(dee),
      (t) => t === 'Bo is recording',
    );
    await openPanel(dee, 'people');
    await eventually(
      'the people panel marks the recorder',
      () => dee.locator('#people-list .person:has([aria-label="recording"]) .person-name').allTextContents(),
      (names) => names.length === 1 && names[0] === 'Bo',
    );
    await openPanel(cy, 'chat');
    await cy.fill('#chat-input', 'Cy speaking while recorded');
    await cy.press('#chat-input', 'Enter');

    // The keys rotate while the recording runs.
    const joinedEpoch = (await diagnostics(bo)).epoch;
    await eventually(
      'a key rotation during the recording',
      () => Promise.all([bo, dee].map(diagnostics)),
      (d) => d.every((x) => x.epoch > joinedEpoch && x.size === 4),
      3 * ROTATION_SECONDS * 1000,
    );
    assert.equal(await banner(dee), 'Bo is recording');
    await eventually(
      'Bo got Cy’s line',
      () => bo.textContent('#chat-log'),
      (t) => !!t?.includes('Cy speaking'),
    );

    // On a loaded machine the click alone can wait seconds for the page, then the encoder flushes.
    const download = bo.waitForEvent('download', { timeout: 120_000 });
    await bo.click('#toggle-record');
    const seconds = (Date.now() - startedAt) / 1000;
    const video = join(dir, 'recording.webm');
    await (await download).saveAs(video);
    for (const page of [ada, bo, cy, dee])
      await eventually(
        'the indicator goes away',
        () => banner(page),
        (t) => t === '',
      );

    const info = await probeRecording(video);
    const size = (await stat(video)).size;
    console.log(
      `recording: ${seconds.toFixed(1)} s recorded, file ${info.duration.toFixed(1)} s, ${(info.videoFrames / info.duration).toFixed(1)} frames/s (longest gap ${info.maxGap.toFixed(1)} s), ${(size / 1e6).toFixed(2)} MB, streams ${info.streams.map((s) => s.codec_name).join('+')}, audio max ${info.maxVolume} dB, ${info.sameTimeNotes} same-time packet notes`,
    );
    assert.deepEqual(info.streams.map((s) => s.codec_type).sort(), ['audio', 'video']);
    assert.equal(info.decodeErrors, '', 'decodes without errors');
    assert.ok(Math.abs(info.duration - seconds) <= seconds * 0.2, `duration ${info.duration} vs ${seconds}`);
    // Drawn up to 15 times a second; a two-core machine running four meetings and the SFU gets far
    // fewer through the encoder, and a page starved of the CPU for seconds draws nothing then. What
    // holds on any machine: the picture goes on through the join and the key rotation, no hole
    // anywhere near as long as the recording.
    assert.ok(info.videoFrames / info.duration >= 0.5, `${info.videoFrames} frames in ${info.duration} s`);
    assert.ok(info.maxGap < 10, `longest gap between frames ${info.maxGap} s`);
    assert.ok(info.maxVolume > -60, `the mix carries sound (max ${info.maxVolume} dB)`);

    const chatDownload = bo.waitForEvent('download', { timeout: 10_000 });
    await bo.click('#save-chat');
    const chatFile = join(dir, 'chat.txt');
    await (await chatDownload).saveAs(chatFile);
    const text = await readFile(chatFile, 'utf8');
    assert.match(text, /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] Ada: hello from Ada$/m);
    assert.match(text, /^\[[^\]]+\] Bo: hi from Bo$/m);
    assert.match(text, /^\[[^\]]+\] Cy: Cy speaking while recorded$/m);

    for (const page of [ada, bo, cy, dee]) await page.context().close();
  });

  it('asks the host first when the host wants it: denied records nothing, allowed records', async () => {
    const host = await pageWithoutPicker(env);
    const pat = await pageWithoutPicker(env);
    const created = await createMeeting(host, env.origin);
    await joinMeeting(host, created.hostLink, 'Hosty');
    await joinMeeting(pat, created.link, 'Pat');
    await eventually(
      'two members',
      () => Promise.all([host, pat].map(diagnostics)),
      (d) => d.every((x) => x.roster.length === 2),
      30_000,
    );
    await openPanel(host, 'people');
    await host.click('#ask-before-recording');
    await eventually(
      'the preference is on',
      () => host.getAttribute('#ask-before-recording', 'aria-pressed'),
      (p) => p === 'true',
    );
    await eventually(
      'Pat must ask',
      () => pat.getAttribute('#toggle-record', 'data-tip'),
      (t) => !!t?.startsWith('Ask the host'),
    );

    // A request and its answer are MLS round trips: on a loaded machine, with the keys rotating
    // every few seconds, each can take several seconds.
    await pat.click('#toggle-record');
    await host.waitForSelector('[data-action="deny-recording"]', { timeout: 30_000 });
    assert.match((await host.textContent('#recording-requests')) ?? '', /Pat asks to record/);
    await host.click('[data-action="deny-recording"]');
    // The toast lasts seconds: the page itself watches for it, so a slow poll cannot miss it.
    await pat.waitForSelector('.toast:text-is("The host did not allow recording.")', { timeout: 30_000 });
    assert.equal(await pat.getAttribute('#toggle-record', 'aria-pressed'), 'false');
    assert.equal(await privateRecordingBytes(pat), 0, 'nothing was written');
    assert.equal(await banner(host), '');
    assert.equal(await host.isVisible('[data-action="deny-recording"]'), false);

    await pat.click('#toggle-record');
    await host.click('[data-action="allow-recording"]', { timeout: 30_000 });
    await eventually(
      'Pat records',
      () => banner(pat),
      (t) => t === 'You are recording',
      30_000,
    );
    await eventually(
      'the host sees it',
      () => banner(host),
      (t) => t === 'Pat is recording',
      30_000,
    );

    const download = pat.waitForEvent('download', { timeout: 30_000 });
    await pat.click('#toggle-record');
    await (await download).saveAs(join(dir, 'allowed.webm'));
    await eventually(
      'the host’s indicator goes away',
      () => banner(host),
      (t) => t === '',
    );
    assert.ok((await stat(join(dir, 'allowed.webm'))).size > 0);
  });
});
