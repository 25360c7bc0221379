import { startEmbeddedStack } from './stack.ts';

/** `make dev`: the whole stack on this machine, no PostgreSQL or Redis needed. */
const stack = await startEmbeddedStack({
  host: process.env.CONCLAVE_HOST ?? '127.0.0.1',
  publicHost: process.env.CONCLAVE_PUBLIC_HOST,
  dataDir: process.env.CONCLAVE_DATA_DIR,
});
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
