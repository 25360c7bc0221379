/**
 * The web app manifest: what an installed Conclave is called, where it opens and how it looks.
 * Installing changes nothing else: the installed app is the same page with the same origin.
 */
import { APP_COLOURS } from './app-icon.ts';

export const ICONS = {
  svg: '/assets/icon.svg',
  png192: '/assets/icon-192.png',
  png512: '/assets/icon-512.png',
} as const;

export function webManifest(): string {
  const manifest = {
    id: '/',
    name: 'Conclave',
    short_name: 'Conclave',
    description: 'Video meetings that are always end-to-end encrypted.',
    start_url: '/',
    scope: '/',
    display: 'standalone',
    background_color: APP_COLOURS.background,
    theme_color: APP_COLOURS.background,
    icons: [
      { src: ICONS.svg, sizes: 'any', type: 'image/svg+xml', purpose: 'any' },
      { src: ICONS.png192, sizes: '192x192', type: 'image/png', purpose: 'any' },
      { src: ICONS.png512, sizes: '512x512', type: 'image/png', purpose: 'any' },
      { src: ICONS.png512, sizes: '512x512', type: 'image/png', purpose: 'maskable' },
    ],
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
