import { configOrExit, createLogger } from '@conclave/runtime';
import { loadDsConfig } from './config.ts';
import { startDs } from './server.ts';

const config = configOrExit(() => loadDsConfig());
const logger = createLogger({ service: 'mls-ds', level: config.LOG_LEVEL });
const ds = await startDs(config, { logger });

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    logger.info({ event: 'shutdown', signal });
    ds.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
