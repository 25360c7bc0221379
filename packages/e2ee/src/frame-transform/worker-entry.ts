/**
 * Entry point of the media encryption worker: bundle this file as the Worker script and pass
 * the Worker to attachFrameTransform / postEpochKeys.
 */
import { installFrameCryptoWorker, type WorkerScopeLike } from './worker.ts';

installFrameCryptoWorker(globalThis as unknown as WorkerScopeLike);
