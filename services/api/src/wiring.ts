import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BullMqJobScheduler,
  type EventBus,
  type ExpiringStore,
  type JobScheduler,
  JoinTokenSigner,
  LocalEventBus,
  LocalExpiringStore,
  LocalJobScheduler,
  type Logger,
  parseJoinTokenPublicKeys,
  RedisEventBus,
  RedisExpiringStore,
  RedisNodeRegistry,
} from '@conclave/runtime';
import { CreationKeyStore } from './auth/creation-keys.ts';
import type { ApiConfig } from './config.ts';
import { type Database, openEmbedded, openPostgres } from './db/database.ts';
import { MeetingNames } from './meetings/meeting-names.ts';
import { MeetingStore } from './meetings/meeting-store.ts';
import { RegistrySfuSelector, type SfuSelector, StaticSfuSelector } from './sfu/sfu-selector.ts';
import { deriveStateKeys } from './state-keys.ts';

/** Everything the API's routes depend on. Embedded or distributed is decided here, once. */
export interface ApiDeps {
  db: Database;
  meetings: MeetingStore;
  creationKeys: CreationKeyStore;
  ephemeral: ExpiringStore;
  bus: EventBus;
  jobs: JobScheduler;
  signer: JoinTokenSigner;
  /** Public keys published for token verification, newest first. */
  publicKeys: string[];
  /** CONCLAVE_STATE_KEY; used only through its subkeys (state-keys.ts). */
  stateKey: Buffer;
  sfu: SfuSelector;
  close(): Promise<void>;
}

function signerFrom(config: ApiConfig): { signer: JoinTokenSigner; publicKeys: string[] } {
  const pem =
    config.CONCLAVE_JOIN_TOKEN_PRIVATE_KEY ??
    generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const signer = new JoinTokenSigner(pem);
  const previous = parseJoinTokenPublicKeys(config.CONCLAVE_JOIN_TOKEN_PREVIOUS_PUBLIC_KEYS ?? '');
  return { signer, publicKeys: [signer.publicKeyPem, ...previous] };
}

export async function createDeps(
  config: ApiConfig,
  log: Logger,
  overrides: Partial<ApiDeps> = {},
): Promise<ApiDeps> {
  const onJobError = (kind: string, err: unknown) =>
    log.error({ event: 'job_failed', kind, err }, 'job failed');
  const { signer, publicKeys } = signerFrom(config);
  const stateKey = config.CONCLAVE_STATE_KEY
    ? Buffer.from(config.CONCLAVE_STATE_KEY, 'base64')
    : embeddedStateKey(config.CONCLAVE_DATA_DIR);
  let sfu: SfuSelector = new StaticSfuSelector(config.CONCLAVE_SFU_URL);
  const extraClosers: (() => Promise<void>)[] = [];

  if (config.CONCLAVE_MODE === 'distributed') {
    const db = await openPostgres(config.DATABASE_URL!, config.CONCLAVE_MIGRATE_ON_START);
    const redisUrl = config.REDIS_URL!;
    const bus = new RedisEventBus(redisUrl);
    await bus.ready();
    if (config.CONCLAVE_SFU_SELECTION === 'registry') {
      const registry = new RedisNodeRegistry(redisUrl);
      extraClosers.push(() => registry.close());
      sfu = new RegistrySfuSelector(registry);
    }
    return await finish({
      db,
      bus,
      ephemeral: new RedisExpiringStore(redisUrl, 'conclave:api:'),
      jobs: new BullMqJobScheduler(redisUrl, 'conclave-api', onJobError),
    });
  }
  const db = await openEmbedded(config.CONCLAVE_DATA_DIR);
  return await finish({
    db,
    bus: new LocalEventBus(),
    ephemeral: new LocalExpiringStore(),
    jobs: new LocalJobScheduler(onJobError),
  });

  async function finish(parts: Pick<ApiDeps, 'db' | 'bus' | 'ephemeral' | 'jobs'>): Promise<ApiDeps> {
    const deps: ApiDeps = {
      ...parts,
      meetings: new MeetingStore(parts.db.prisma, new MeetingNames(deriveStateKeys(stateKey).naming)),
      creationKeys: new CreationKeyStore(parts.db.prisma),
      signer,
      publicKeys,
      stateKey,
      sfu,
      async close() {
        await deps.jobs.close();
        await Promise.allSettled([
          deps.bus.close(),
          deps.ephemeral.close(),
          ...extraClosers.map((close) => close()),
        ]);
        await deps.db.close();
      },
      ...overrides,
    };
    const renamed = await deps.meetings.renameClearRows();
    if (renamed > 0)
      log.info({ event: 'meetings_renamed', count: renamed }, 'stored meetings renamed to keyed hashes');
    return deps;
  }
}

/**
 * Without CONCLAVE_STATE_KEY, embedded mode keeps a key of its own: in memory when the data
 * is, else in the data directory beside the meetings it names (so they survive a restart).
 * Set CONCLAVE_STATE_KEY to keep the key apart from copies of the data.
 */
function embeddedStateKey(dataDir: string | undefined): Buffer {
  if (!dataDir) return randomBytes(32);
  const file = join(dataDir, 'state.key');
  try {
    const stored = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (stored.length !== 32)
      throw new Error(`${file}: expected 32 bytes in base64 (or remove it with the data)`);
    return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(32);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}
