/**
 * What the control-state test reads and checks on a page: each control's icon, label and state,
 * its tooltip and colour; a photograph of the page at a size, with what every state must hold
 * there (fits the screen, touch-sized on a phone, no serious accessibility violation).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { assertAccessible } from './axe.ts';
import { smallTargets } from './touch-targets.ts';

export const SHOTS = process.env['CONCLAVE_SCREENSHOTS'] ?? join(tmpdir(), 'conclave-screens');
mkdirSync(SHOTS, { recursive: true });
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
export const DANGER_FILL = 'rgb(198, 42, 47)';

export interface ControlView {
  icon: string | null;
  label: string;
  pressed: string | null;
  hidden: boolean;
}

/** What each control of the bar shows: its icon, visible label and pressed state. */
export function controls(page: Page): Promise<Record<string, ControlView>> {
  return page.evaluate(() => {
    const out: Record<string, ControlView> = {};
    for (const b of document.querySelectorAll<HTMLButtonElement>(
      '.controls > * .control, .controls > .control',
    )) {
      if (!b.id) continue;
      out[b.id] = {
        icon: b.querySelector('svg')?.dataset['icon'] ?? null,
        label: b.querySelector('.control-label')?.textContent ?? '',
        pressed: b.getAttribute('aria-pressed'),
        hidden: b.hidden || b.getBoundingClientRect().width === 0,
      };
    }
    return out;
  });
}

/** The page is no wider than the screen, and the control bar (when there is one) lies inside it. */
async function assertFits(page: Page, where: string): Promise<void> {
  const fit = await page.evaluate(() => {
    const bar = document.querySelector('.controls')?.getBoundingClientRect();
    return {
      overflow: document.documentElement.scrollWidth > innerWidth,
      bar: !bar || (bar.left >= 0 && bar.top >= 0 && bar.right <= innerWidth && bar.bottom <= innerHeight),
    };
  });
  assert.deepEqual(fit, { overflow: false, bar: true }, `${where} fits the screen`);
}

/** Photographs a state and checks what every state must hold at that size. */
export async function capture(page: Page, size: 'desktop' | 'phone', state: string): Promise<Buffer> {
  const where = `${state} on the ${size}`;
  // Two frames: the view renders changes on the next animation frame.
  await page.evaluate(
    () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null)))),
  );
  const shot = await page.screenshot({ path: join(SHOTS, `${size}-${state}.png`) });
  await assertFits(page, where);
  if (size === 'phone') assert.deepEqual(await smallTargets(page), [], `touch-sized controls: ${where}`);
  await assertAccessible(page, where);
  return shot;
}

/** The computed tooltip of a control (its ::after content), as the person sees it now. */
export function tooltip(page: Page, id: string): Promise<string> {
  return page.evaluate((i) => getComputedStyle(document.getElementById(i)!, '::after').content, id);
}

export const background = (page: Page, id: string) =>
  page.evaluate((i) => getComputedStyle(document.getElementById(i)!).backgroundColor, id);
