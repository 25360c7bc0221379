/**
 * Runs scrypt in a dedicated worker in the page (assets/kdf-worker.js), or in this thread where
 * there is no worker (Node's unit tests) or the worker cannot start.
 */
import { scryptAsync } from '@noble/hashes/scrypt.js';

export interface ScryptRequest {
  passphrase: Uint8Array;
  salt: Uint8Array;
  N: number;
  r: number;
  p: number;
  dkLen: number;
  maxmem: number;
}

export const KDF_WORKER_PATH = '/assets/kdf-worker.js';

function inWorker(request: ScryptRequest): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(KDF_WORKER_PATH, { name: 'conclave-list-kdf' });
    worker.onmessage = (e: MessageEvent<{ ok: boolean; out?: Uint8Array; message?: string }>) => {
      worker.terminate();
      if (e.data.ok && e.data.out) resolve(e.data.out);
      else reject(new Error(e.data.message ?? 'key derivation failed'));
    };
    worker.onerror = (e) => {
      e.preventDefault();
      worker.terminate();
      reject(new WorkerUnavailable());
    };
    worker.postMessage(request);
  });
}

class WorkerUnavailable extends Error {}

export async function runScrypt(request: ScryptRequest): Promise<Uint8Array> {
  if (typeof Worker === 'function' && typeof document === 'object') {
    try {
      return await inWorker(request);
    } catch (error) {
      if (!(error instanceof WorkerUnavailable)) throw error;
    }
  }
  const { passphrase, salt, ...options } = request;
  return scryptAsync(passphrase, salt, { ...options, asyncTick: 10 });
}
