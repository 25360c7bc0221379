import { readFileSync } from 'node:fs';
import { createLogger, RedisEventBus, RedisNodeRegistry } from '@conclave/runtime';
import { configFromEnv } from './config.ts';
import { startSfu } from './server.ts';

const config = configFromEnv(process.env, (path) => readFileSync(path, 'utf8'));
const log = createLogger({ service: 'sfu', level: config.logLevel });
// Distributed mode when Redis is configured; a standalone single node otherwise.
const bus = config.redisUrl ? new RedisEventBus(config.redisUrl) : undefined;
const registry = config.redisUrl ? new RedisNodeRegistry(config.redisUrl) : undefined;
await bus?.ready();
const sfu = await startSfu(config, { bus, registry, log });

let stopping = false;
async function stop(signal: NodeJS.Signals, drain: boolean): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ event: 'sfu_signal', signal });
  if (drain) await sfu.drain();
  else await sfu.close();
  await registry?.close();
  await bus?.close();
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM', true));
process.on('SIGINT', () => void stop('SIGINT', false));
