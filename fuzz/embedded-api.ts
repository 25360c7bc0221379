/**
 * Starts the embedded stack on free loopback ports for the fuzzers and prints its URLs as one
 * JSON line; stops on SIGTERM/SIGINT or after FUZZ_STACK_MAX_SECONDS (default 3600).
 */
import { startEmbeddedStack } from '@conclave/embedded';

const stack = await startEmbeddedStack({
  apiPort: 0,
  dsPort: 0,
  sfuPort: 0,
  rtcPortBase: 30000 + Math.floor(Math.random() * 5000),
  sfuWorkers: 1,
  logLevel: process.env.LOG_LEVEL ?? 'error',
  env: {
    ...process.env,
    CONCLAVE_RATE_PER_SOURCE: '1000000',
    CONCLAVE_FAILED_JOINS_PER_SOURCE: '1000000',
  },
});
process.stdout.write(
  `${JSON.stringify({ apiUrl: stack.apiUrl, dsUrl: stack.dsUrl, sfuUrl: stack.sfuUrl })}\n`,
);
const stop = async () => {
  await stack.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setTimeout(stop, Number(process.env.FUZZ_STACK_MAX_SECONDS ?? 3600) * 1000).unref();
setInterval(() => {}, 1 << 30);
