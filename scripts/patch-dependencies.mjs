#!/usr/bin/env node
// Applies the project's fixes to installed dependencies: patches/<package>@<version>.patch, a
// unified diff of files inside node_modules/<package> (patches/README.md says why each exists).
// A patch applies only to that exact release and only where every context and removed line
// matches, so a new release stops the install with a message instead of being patched blind.
// Idempotent: a file the patch already reached is left alone. Runs after `npm ci` (the root
// package's postinstall) and in image builds, which install with --ignore-scripts.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const patchDir = join(root, 'patches');

/** `--- a/F` / `+++ b/F` sections, each a list of hunks of ' ', '-' and '+' lines. */
function parsePatch(text) {
  const files = [];
  let file;
  let hunk;
  for (const line of text.split('\n')) {
    if (line.startsWith('--- a/')) continue;
    if (line.startsWith('+++ b/')) {
      file = { path: line.slice(6), hunks: [] };
      files.push(file);
    } else if (line.startsWith('@@ ')) {
      if (!file) throw new Error(`hunk before any file: ${line}`);
      hunk = { lines: [] };
      file.hunks.push(hunk);
    } else if (hunk && /^[ +-]/.test(line)) {
      hunk.lines.push(line);
    } else if (hunk && line === '') {
      hunk = undefined;
    }
  }
  return files;
}

/** The file with the hunks applied from `from` (' ' and '-') to `to` (' ' and '+'), or null. */
function applyHunks(lines, hunks, from, to) {
  const out = [];
  let at = 0;
  for (const hunk of hunks) {
    const before = hunk.lines.filter((l) => l[0] === ' ' || l[0] === from).map((l) => l.slice(1));
    const after = hunk.lines.filter((l) => l[0] === ' ' || l[0] === to).map((l) => l.slice(1));
    // Found by content after the previous hunk: a patch never applies at a place that differs.
    const start = lines.findIndex((_, i) => i >= at && before.every((line, k) => lines[i + k] === line));
    if (start === -1) return null;
    out.push(...lines.slice(at, start), ...after);
    at = start + before.length;
  }
  return [...out, ...lines.slice(at)];
}

let failed = false;
for (const name of readdirSync(patchDir).filter((f) => f.endsWith('.patch'))) {
  const [, pkg, version] = /^(.+)@([^@]+)\.patch$/.exec(name) ?? [];
  const dir = join(root, 'node_modules', pkg.replace('+', '/'));
  let installed;
  try {
    installed = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
  } catch {
    continue; // Not installed here (an image with only another service's dependencies).
  }
  const stale = (why) => {
    console.error(
      `patch-dependencies: patches/${name} does not fit ${pkg} ${installed} (${why}). Check whether ` +
        'that release fixes what the patch fixes, then update or drop the patch (patches/README.md).',
    );
    failed = true;
  };
  if (installed !== version) {
    stale(`written for ${version}`);
    continue;
  }
  for (const file of parsePatch(readFileSync(join(patchDir, name), 'utf8'))) {
    const target = join(dir, file.path);
    const lines = readFileSync(target, 'utf8').split('\n');
    const patched = applyHunks(lines, file.hunks, '-', '+');
    const unpatched = applyHunks(lines, file.hunks, '+', '-');
    // Exactly one side must fit: the old one (patch it) or the new one (already patched).
    if (patched && !unpatched) {
      writeFileSync(target, patched.join('\n'));
      console.error(`patch-dependencies: ${pkg} ${installed}: patched ${file.path}`);
    } else if (patched || !unpatched) {
      stale(`${file.path} matches ${patched ? 'both sides' : 'neither side'} of the patch`);
    }
  }
}
process.exit(failed ? 1 : 0);
