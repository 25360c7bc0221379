// Starts the embedded Conclave stack (API + MLS delivery service + SFU in one process, PGlite
// in memory) on loopback ports chosen by the load test, with the API's abuse rate limits
// raised so that one load generator on one address measures capacity, not the limiter.
import { startEmbeddedStack } from '@conclave/embedded';

const base = Number(process.env.LOADTEST_PORT_BASE ?? 27000);
const env = {
  ...process.env,
  CONCLAVE_RATE_PER_SOURCE: process.env.CONCLAVE_RATE_PER_SOURCE ?? '10000000',
  CONCLAVE_FAILED_JOINS_PER_SOURCE: process.env.CONCLAVE_FAILED_JOINS_PER_SOURCE ?? '10000000',
  SFU_RTC_MIN_PORT: String(base + 600),
  SFU_RTC_MAX_PORT: String(base + 699),
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
};
const stack = await startEmbeddedStack({
  host: '127.0.0.1',
  apiPort: base + 80,
  dsPort: base + 90,
  sfuPort: base + 443,
  rtcPortBase: base + 500,
  sfuWorkers: Number(process.env.SFU_WORKERS ?? 2),
  env,
  logLevel: env.LOG_LEVEL,
});
console.log(JSON.stringify({ ready: true, api: stack.apiUrl, ds: stack.dsUrl, sfu: stack.sfuUrl }));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stack.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
