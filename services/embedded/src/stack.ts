import { generateKeyPairSync } from 'node:crypto';
import { buildApi } from '@conclave/api';
import { loadApiConfig } from '@conclave/api/config';
import { createDeps } from '@conclave/api/wiring';
import { loadDsSettings, startDs } from '@conclave/mls-ds';
import { createLogger, JoinTokenVerifier, LocalEventBus, type Logger } from '@conclave/runtime';
import { sfuConfigFromEnv, startSfu } from '@conclave/sfu';

export interface EmbeddedStackOptions {
  /** Address every listener binds to; 127.0.0.1 unless the stack should be reachable from a LAN. */
  host?: string;
  /** Address browsers use to reach the stack (the SFU announces it for media). */
  publicHost?: string;
  apiPort?: number;
  dsPort?: number;
  sfuPort?: number;
  /** First of the SFU's WebRTC ports (one UDP + TCP port per worker). */
  rtcPortBase?: number;
  /** Where PGlite keeps meetings; in memory when unset. */
  dataDir?: string;
  sfuWorkers?: number;
  env?: Record<string, string | undefined>;
  logLevel?: string;
  /** Built web client (services/web/dist) to serve from the API's origin; CONCLAVE_WEB_ROOT by default. */
  webRoot?: string;
}

export interface EmbeddedStack {
  apiUrl: string;
  dsUrl: string;
  sfuUrl: string;
  close(): Promise<void>;
}

/**
 * Starts the API, the MLS delivery service and the SFU in this process, sharing one in-process
 * event bus, with PGlite for meetings and in-memory ephemeral state. Nothing external is needed
 * except the mediasoup worker binary (MEDIASOUP_WORKER_BIN).
 */
export async function startEmbeddedStack(options: EmbeddedStackOptions = {}): Promise<EmbeddedStack> {
  const env = options.env ?? process.env;
  const host = options.host ?? '127.0.0.1';
  const publicHost = options.publicHost ?? host;
  const level = options.logLevel ?? env.LOG_LEVEL ?? 'info';
  const log: Logger = createLogger({ service: 'embedded', level });
  const bus = new LocalEventBus();
  const closers: (() => Promise<void>)[] = [() => bus.close()];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => {});
  };

  try {
    // The stack owns the join-token key: the DS and the SFU are handed its public half, typed.
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const publicKeys = [publicKey.export({ type: 'spki', format: 'pem' }).toString()];

    const ds = await startDs(
      loadDsSettings({
        ...env,
        DS_HOST: host,
        DS_PORT: String(options.dsPort ?? 8090),
        REDIS_URL: undefined,
        LOG_LEVEL: level,
      }),
      { bus, verifier: new JoinTokenVerifier(publicKeys) },
    );
    closers.push(() => ds.close());
    const dsUrl = `ws://${publicHost}:${ds.port}/v1/ds`;

    const sfuPort = options.sfuPort ?? 8443;
    const sfuConfig = await sfuConfigFromEnv(
      {
        ...env,
        SFU_HOST: host,
        SFU_PORT: String(sfuPort),
        SFU_PUBLIC_URL: `ws://${publicHost}:${sfuPort}/v1/sfu`,
        SFU_RTC_LISTEN_IP: host,
        SFU_RTC_ANNOUNCED_IP: publicHost === host ? undefined : publicHost,
        ...(options.rtcPortBase ? { SFU_RTC_PORT_BASE: String(options.rtcPortBase) } : {}),
        ...(options.sfuWorkers ? { SFU_WORKERS: String(options.sfuWorkers) } : {}),
        LOG_LEVEL: level,
      },
      { joinTokenPublicKeys: publicKeys },
    );
    // In process whatever the environment names (a Redis URL under a former name included).
    const sfu = await startSfu({ ...sfuConfig, redisUrl: undefined }, { bus });
    closers.push(() => sfu.close());
    const sfuUrl = `ws://${publicHost}:${sfu.port}/v1/sfu`;

    const apiConfig = loadApiConfig({
      ...env,
      CONCLAVE_MODE: 'embedded',
      API_HOST: host,
      API_PORT: String(options.apiPort ?? 8080),
      CONCLAVE_DATA_DIR: options.dataDir,
      CONCLAVE_JOIN_TOKEN_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      CONCLAVE_DS_URL: dsUrl,
      CONCLAVE_SFU_URL: sfuUrl,
      LOG_LEVEL: level,
    });
    const apiLog = createLogger({ service: 'api', level });
    const api = await buildApi(apiConfig, await createDeps(apiConfig, apiLog, { bus }), apiLog);
    closers.push(() => api.shutdown());
    const webRoot = options.webRoot ?? env.CONCLAVE_WEB_ROOT;
    if (webRoot) {
      const { registerWebClient } = await import('@conclave/web/server');
      const connectOrigins = [`ws://${publicHost}:${ds.port}`, `ws://${publicHost}:${sfu.port}`];
      await registerWebClient(api.app, { root: webRoot, connectOrigins });
    }
    await api.app.listen({ host, port: apiConfig.API_PORT });
    const apiPort = (api.app.server.address() as { port: number }).port;

    const stack = {
      apiUrl: `http://${publicHost}:${apiPort}`,
      dsUrl,
      sfuUrl,
      close,
    };
    log.info({ event: 'started', mode: 'embedded', port: apiPort }, 'embedded stack started');
    return stack;
  } catch (error) {
    await close();
    throw error;
  }
}
