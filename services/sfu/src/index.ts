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

/**
 * The SFU's configuration from environment variables; `joinTokenPublicKeys` given here replace
 * JOIN_TOKEN_PUBLIC_KEYS (a host that owns the key pair passes them typed).
 */
export async function sfuConfigFromEnv(
  env: Record<string, string | undefined> = process.env,
  given: { joinTokenPublicKeys?: string[] } = {},
): Promise<SfuConfig> {
  const { configFromEnv } = await import('./config.ts');
  const { readFileSync } = await import('node:fs');
  return configFromEnv(env, (path) => readFileSync(path, 'utf8'), given);
}
