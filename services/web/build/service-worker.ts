/**
 * Builds dist/sw.js from src/sw/ with the list of files it keeps and each file's SHA-256, read
 * from the build output. The cache name carries a hash of that list, so every build whose files
 * differ is a new service worker (the browser compares the script byte for byte) with a new cache.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { CLIENT_FILES, SERVICE_WORKER_PATH } from '../src/server/client-files.ts';
import type { Precache } from '../src/sw/precache-rules.ts';

/** The precache list of the build in `outDir` (every client file but the worker itself and those loaded on demand). */
export async function precacheOf(outDir: string): Promise<Precache> {
  const files: Record<string, string> = {};
  for (const [path, { file, onDemand }] of Object.entries(CLIENT_FILES)) {
    if (path === SERVICE_WORKER_PATH || onDemand) continue;
    files[path] = createHash('sha256')
      .update(await readFile(`${outDir}/${file}`))
      .digest('base64');
  }
  const listing = Object.entries(files)
    .map(([path, hash]) => `${path} ${hash}\n`)
    .join('');
  return { version: createHash('sha256').update(listing).digest('hex').slice(0, 16), files };
}

/** Writes `outDir/sw.js` for the files now in `outDir`; run it after every other file is written. */
export async function buildServiceWorker(outDir: string): Promise<Precache> {
  const precache = await precacheOf(outDir);
  await build({
    stdin: {
      contents: `import { startServiceWorker } from './service-worker.ts';\nstartServiceWorker(${JSON.stringify(precache)});\n`,
      resolveDir: fileURLToPath(new URL('../src/sw', import.meta.url)),
      sourcefile: 'sw-entry.ts',
      loader: 'ts',
    },
    bundle: true,
    platform: 'browser',
    target: 'chrome120',
    format: 'iife',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    outfile: `${outDir}/sw.js`,
  });
  return precache;
}
