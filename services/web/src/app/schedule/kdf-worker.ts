/**
 * The list passphrase's scrypt, off the page's thread: about a second of work on a laptop and
 * several on a phone, during which the page must keep answering.
 */
import { scrypt } from '@noble/hashes/scrypt.js';
import type { ScryptRequest } from './scrypt-runner.ts';

self.onmessage = (event: MessageEvent<ScryptRequest>) => {
  const { passphrase, salt, N, r, p, dkLen, maxmem } = event.data;
  try {
    const out = scrypt(passphrase, salt, { N, r, p, dkLen, maxmem });
    self.postMessage({ ok: true, out }, { transfer: [out.buffer] });
  } catch (error) {
    self.postMessage({ ok: false, message: (error as Error).message });
  }
};
