/**
 * A virtual X display (Xvfb) for headless Firefox's screen capture. Firefox has no fake screen
 * (`media.navigator.streams.fake` covers only cameras and microphones), and its desktop capturer
 * reads the X server named by DISPLAY even when the browser itself runs headless: without one,
 * getDisplayMedia fails with NotFoundError.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export const XVFB_PATH = process.env['XVFB_PATH'] ?? '/usr/bin/Xvfb';

export interface XDisplay {
  /** The value for DISPLAY, e.g. `:1`. */
  display: string;
  close(): Promise<void>;
}

/** Starts Xvfb on the first free display number (it writes the number it took to fd 3). */
export async function startXDisplay(): Promise<XDisplay> {
  const xvfb: ChildProcess = spawn(
    XVFB_PATH,
    ['-displayfd', '3', '-screen', '0', '1280x720x24', '-nolisten', 'tcp'],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  xvfb.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const display = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Xvfb did not start: ${stderr}`)), 10_000);
    xvfb.stdio[3]!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(`:${out.trim()}`);
      }
    });
    xvfb.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited with ${code}: ${stderr}`));
    });
  });
  return {
    display,
    async close() {
      if (xvfb.exitCode !== null) return;
      const exited = new Promise((resolve) => xvfb.once('exit', resolve));
      xvfb.kill('SIGTERM');
      await exited;
    },
  };
}

/** Why no X display can be started here, or undefined when one can. */
export function xvfbMissing(): string | undefined {
  if (existsSync(XVFB_PATH)) return undefined;
  return `Xvfb not found at ${XVFB_PATH}: install Debian's xvfb (scripts/install-system-deps.sh) or set XVFB_PATH.`;
}
