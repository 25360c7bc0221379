import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import * as mediasoup from 'mediasoup';

const require = createRequire(import.meta.url);

/**
 * Points mediasoup at the worker binary built by scripts/build-mediasoup-worker.sh.
 * mediasoup reads MEDIASOUP_WORKER_BIN once at import time; setting the module's export as
 * well lets an embedding process choose the path after mediasoup was imported.
 */
export function useWorkerBinary(path: string | undefined): string {
  const bin = path ?? process.env.MEDIASOUP_WORKER_BIN;
  if (!bin) {
    throw new Error(
      'MEDIASOUP_WORKER_BIN is not set: build the worker with scripts/build-mediasoup-worker.sh ' +
        'and export MEDIASOUP_WORKER_BIN=<the path it prints>',
    );
  }
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    throw new Error(
      `MEDIASOUP_WORKER_BIN=${bin} is not an executable file (run scripts/build-mediasoup-worker.sh)`,
    );
  }
  const workerModule = require('mediasoup/node/lib/Worker.js') as { workerBin: string };
  workerModule.workerBin = bin;
  return bin;
}

export { mediasoup };
