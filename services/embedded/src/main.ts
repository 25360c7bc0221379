import { exitOnConfigError } from '@conclave/runtime';
import { startEmbeddedStack } from './stack.ts';

/** `make dev`: the whole stack on this machine, no PostgreSQL or Redis needed. */
const port = (name: string): number | undefined => {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) {
    console.error(`invalid configuration:\n  ${name}: must be a port number`);
    process.exit(78);
  }
  return parsed;
};

const stack = await startEmbeddedStack({
  host: process.env.CONCLAVE_HOST ?? '127.0.0.1',
  publicHost: process.env.CONCLAVE_PUBLIC_HOST,
  dataDir: process.env.CONCLAVE_DATA_DIR,
  apiPort: port('CONCLAVE_API_PORT'),
  dsPort: port('CONCLAVE_DS_PORT'),
  sfuPort: port('CONCLAVE_SFU_PORT'),
  rtcPortBase: port('SFU_RTC_PORT_BASE'),
}).catch(exitOnConfigError);
console.log(`Conclave is running: API ${stack.apiUrl}, delivery service ${stack.dsUrl}, SFU ${stack.sfuUrl}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    stack.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
