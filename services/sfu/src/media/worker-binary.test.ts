import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { requireWorkerBin } from '../testing/harness.ts';

// scripts/build-mediasoup-worker.sh links the worker to libsrtp 2.5.0 built with its OpenSSL
// backend and ships the library beside it (lib/libsrtp2.so.1, found through RUNPATH $ORIGIN/lib).
// Debian's libsrtp2 is built against NSS, with which the worker forwards about half as many
// SRTP streams per core; these tests fail when a worker linked to it, or to NSS at all, shows up.

/** Runs a binutils/glibc tool on the binary as shipped: no LD_LIBRARY_PATH or LD_PRELOAD. */
function run(command: string, args: string[]): string {
  const env = { ...process.env };
  delete env.LD_LIBRARY_PATH;
  delete env.LD_PRELOAD;
  return execFileSync(command, args, { env, encoding: 'utf8' });
}

function ldd(bin: string): string[] {
  return run('ldd', [bin]).split('\n');
}

/** lib/libsrtp2.so.1 beside the worker (beside the file, when the path is a symbolic link). */
function shippedLibsrtp(bin: string): string {
  const lib = join(dirname(realpathSync(bin)), 'lib', 'libsrtp2.so.1');
  assert.ok(existsSync(lib), `no ${lib}: rebuild the worker with scripts/build-mediasoup-worker.sh`);
  return lib;
}

test('the worker links no NSS library (libnss3, libnspr4, …)', () => {
  const lines = ldd(requireWorkerBin());
  // NSS (libnss3, libnssutil3, libsmime3, libsoftokn3) and NSPR (libnspr4, libplc4, libplds4).
  assert.deepEqual(
    lines.filter((line) => /\blib(nss\w*|smime3|softokn3|nspr4|plc4|plds4)\.so/.test(line)),
    [],
  );
  assert.deepEqual(
    lines.filter((line) => line.includes('not found')),
    [],
  );
});

test('libsrtp2.so.1 resolves to lib/libsrtp2.so.1 beside the worker', () => {
  const bin = requireWorkerBin();
  const line = ldd(bin).find((l) => /^\s*libsrtp2\.so\.1 => /.test(l));
  assert.ok(line, 'the worker does not link libsrtp2.so.1');
  const resolved = /=> (\S+) \(/.exec(line)?.[1];
  assert.ok(resolved, `unresolved: ${line.trim()}`);
  assert.equal(realpathSync(resolved), realpathSync(shippedLibsrtp(bin)));
});

test('the libsrtp beside the worker is built with its OpenSSL backend', () => {
  const lib = readFileSync(shippedLibsrtp(requireWorkerBin())).toString('latin1');
  // The cipher descriptions of crypto/cipher/aes_icm_ossl.c and aes_gcm_ossl.c; the NSS
  // backend's (aes_icm_nss.c, aes_gcm_nss.c) say "using NSS".
  assert.ok(lib.includes('AES-128 counter mode using openssl'), 'no OpenSSL AES-CM in libsrtp2.so.1');
  assert.ok(lib.includes('AES-128 GCM using openssl'), 'no OpenSSL AES-GCM in libsrtp2.so.1');
  assert.ok(!lib.includes('using NSS'), 'libsrtp2.so.1 carries the NSS backend');
});

test('the worker finds its lib/ through DT_RUNPATH $ORIGIN/lib, not DT_RPATH', () => {
  const dynamic = run('readelf', ['-d', requireWorkerBin()]);
  assert.match(dynamic, /\(RUNPATH\)\s+Library runpath: \[\$ORIGIN\/lib\]/);
  // DT_RPATH would be searched before LD_LIBRARY_PATH, so Debian's libsrtp2 could not be
  // swapped in for a comparison.
  assert.doesNotMatch(dynamic, /\(RPATH\)/);
});
