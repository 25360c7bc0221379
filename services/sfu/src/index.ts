/**
 * `@conclave/sfu`. The server is loaded on demand so importing this package does not load
 * mediasoup. The node registry the SFU announces itself to is in `@conclave/runtime`.
 */
import type { SfuConfig } from './config.ts';
import type { SfuDeps, SfuServer } from './server.ts';

export type { SfuConfig, SfuEnv } from './config.ts';
export type { SfuDeps, SfuServer } from './server.ts';

export async function createSfuServer(config: SfuConfig, deps?: SfuDeps): Promise<SfuServer> {
  return (await import('./server.ts')).createSfuServer(config, deps);
}

export async function startSfu(config: SfuConfig, deps?: SfuDeps): Promise<SfuServer & { port: number }> {
  return (await import('./server.ts')).startSfu(config, deps);
}

export async function sfuConfigFromEnv(
  env: Record<string, string | undefined> = process.env,
  readFile?: (path: string) => string,
): Promise<SfuConfig> {
  const { configFromEnv } = await import('./config.ts');
  const { readFileSync } = await import('node:fs');
  return configFromEnv(env, readFile ?? ((path) => readFileSync(path, 'utf8')));
}
