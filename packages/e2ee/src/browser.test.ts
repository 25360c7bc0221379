import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type BrowserSession, openBrowserSession } from '../test/browser/harness.ts';
import type { BrowserReport, MediaReport } from '../test/browser/entry.ts';
import { sframeVectorsJson } from '../test/fixtures/node.ts';
import { bytesToHex } from './bytes.ts';
import { deriveMeetingSecrets } from './derive.ts';

const meetingId = 'ABCDEFGHJK';
const password = 'AAECAwQFBgcICQoLDA0ODw';

interface PageApi {
  conclave: {
    runChecks(input: unknown): Promise<BrowserReport>;
    runMediaLoopback(
      workerUrl: string,
      sameKeys: boolean,
      durationMs: number,
      legacy?: boolean,
    ): Promise<MediaReport>;
  };
}

describe('in headless Chromium', { timeout: 90_000 }, () => {
  let session: BrowserSession;
  let report: BrowserReport;

  before(async () => {
    session = await openBrowserSession();
    report = await session.page.evaluate(
      (input) => (globalThis as unknown as PageApi).conclave.runChecks(input),
      { meetingId, password, sframeVectorsJson: sframeVectorsJson() },
    );
  });

  after(() => session?.close());

  it('derives the same meeting secrets as Node', async () => {
    const node = await deriveMeetingSecrets(meetingId, password);
    assert.deepEqual(report.secrets, {
      srpSecret: node.srpSecret,
      mlsPsk: bytesToHex(node.mlsPsk),
      credKey: bytesToHex(node.credKey),
      nameKey: bytesToHex(node.nameKey),
      pskId: `conclave/v1/psk/${meetingId}`,
    });
  });

  it('passes every RFC 9605 vector with WebCrypto', () => {
    assert.deepEqual(report.vectors, { headers: 289, aeads: 6, suites: 5, failures: [] });
  });

  it('runs the SRP client steps and name sealing', () => {
    assert.ok(report.srpVerifierLength > 500, 'a 2048-bit verifier');
    assert.match(report.srpProof.A, /^[0-9a-f]+$/);
    assert.match(report.srpProof.M1, /^[0-9a-f]+$/);
    assert.equal(report.nameRoundTrip, 'Zoë 🎥');
  });

  it('joins two MLS members who then share the SFrame base key and security code', () => {
    assert.deepEqual(report.mls, {
      epoch: '1',
      sameBaseKey: true,
      sameSecurityCode: true,
      sframeRoundTrip: true,
    });
  });

  it('carries encrypted VP8 between peer connections through the worker transform', async () => {
    const media = await session.page.evaluate(
      (url) => (globalThis as unknown as PageApi).conclave.runMediaLoopback(url, true, 2500),
      `${session.origin}/worker.js`,
    );
    assert.equal(media.mode, 'script-transform');
    assert.ok(media.sender.encrypted > 10, `sender encrypted ${media.sender.encrypted} frames`);
    assert.ok(media.receiver.decrypted > 10, `receiver decrypted ${media.receiver.decrypted} frames`);
    assert.deepEqual(media.sender.encryptFailures, {});
    assert.deepEqual(media.receiver.decryptFailures, {});
    assert.ok(media.framesDecoded > 10, `decoder output ${media.framesDecoded} frames`);
    assert.ok(
      media.keyFramesDecoded >= 1 && media.keyFramesDecoded <= 3,
      `key frames ${media.keyFramesDecoded}`,
    );
  });

  it('does the same through legacy createEncodedStreams', async () => {
    const media = await session.page.evaluate(
      (url) => (globalThis as unknown as PageApi).conclave.runMediaLoopback(url, true, 2000, true),
      `${session.origin}/worker.js`,
    );
    assert.equal(media.mode, 'encoded-streams');
    assert.ok(media.receiver.decrypted > 10, `receiver decrypted ${media.receiver.decrypted} frames`);
    assert.deepEqual(media.receiver.decryptFailures, {});
    assert.ok(media.framesDecoded > 10, `decoder output ${media.framesDecoded} frames`);
  });

  it('shows no picture when the receiver holds a different key', async () => {
    const media = await session.page.evaluate(
      (url) => (globalThis as unknown as PageApi).conclave.runMediaLoopback(url, false, 1500),
      `${session.origin}/worker.js`,
    );
    assert.ok(media.sender.encrypted > 5);
    assert.equal(media.receiver.decrypted, 0);
    assert.ok((media.receiver.decryptFailures.SFRAME_AUTH_FAILED ?? 0) > 5);
    assert.equal(media.framesDecoded, 0);
  });
});
