import { configOrExit, createLogger } from '@conclave/runtime';
import { buildApi } from './app.ts';
import { loadApiConfig } from './config.ts';
import { createDeps } from './wiring.ts';

/** Stand-alone API process: `node services/api/src/main.ts`. */
async function main(): Promise<void> {
  const config = configOrExit(() => loadApiConfig());
  const log = createLogger({ service: 'api', level: config.LOG_LEVEL });
  const deps = await createDeps(config, log);
  const api = await buildApi(config, deps, log);
  await api.app.listen({ host: config.API_HOST, port: config.API_PORT });
  const { port } = api.app.server.address() as { port: number };
  log.info({ event: 'started', mode: config.CONCLAVE_MODE, port }, 'api started');

  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log.info({ event: 'stopping', signal }, 'api stopping');
      // Within the 10 s Docker (and compose) give a container between SIGTERM and SIGKILL.
      const force = setTimeout(() => process.exit(1), 8_000);
      force.unref();
      api.shutdown().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

await main();
