/**
 * Chromium that trusts the stack's internal CA the way a person's browser would: the root
 * certificate imported into the NSS database of a throwaway HOME (Chromium on Linux reads
 * $HOME/.pki/nssdb), with every certificate check left on.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../../../../services/web/test/support/harness.ts';
import { output, run } from './stack-env.ts';

export interface LaunchedBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/** A HOME whose NSS database trusts `caFile` for TLS servers (none when `caFile` is undefined). */
async function homeWithNssDb(caFile: string | undefined): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'conclave-stack-browser-'));
  const db = join(home, '.pki', 'nssdb');
  await mkdir(db, { recursive: true });
  if (caFile) {
    if ((await run(['certutil', '--help'], 10_000).catch(() => undefined)) === undefined)
      throw new Error("certutil not found: install Debian's libnss3-tools (scripts/install-system-deps.sh)");
    await output(['certutil', '-d', `sql:${db}`, '-N', '--empty-password']);
    await output(['certutil', '-d', `sql:${db}`, '-A', '-t', 'C,,', '-n', 'conclave-stack-ca', '-i', caFile]);
    const listed = (await output(['certutil', '-d', `sql:${db}`, '-L'])).toString('utf8');
    if (!/conclave-stack-ca\s+C,,/.test(listed))
      throw new Error(`the CA is not in the NSS database:\n${listed}`);
  }
  return home;
}

/** One Chromium; trusts the stack's CA when `caFile` is given, only the public roots otherwise. */
export async function launchBrowser(caFile: string | undefined): Promise<LaunchedBrowser> {
  const home = await homeWithNssDb(caFile);
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    env: { ...process.env, HOME: home },
    timeout: 30_000,
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => {});
      await rm(home, { recursive: true, force: true });
    },
  };
}
