/** Touch-target size (WCAG 2.5.5): what the phone-size tests check on every page. */
import type { Page } from 'playwright-core';

/** Every visible button, field and link smaller than 44×44 CSS px, as "id w×h". */
export function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('button, input, select, textarea, a[href]')]
      .map((el) => ({ el, r: el.getBoundingClientRect() }))
      .filter(({ el, r }) => r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden')
      .filter(({ r }) => r.width < 44 || r.height < 44)
      .map(
        ({ el, r }) =>
          `${el.id || el.textContent || el.tagName} ${Math.round(r.width)}×${Math.round(r.height)}`,
      ),
  );
}
