import { parseArgs } from 'node:util';
import { CreationKeyStore } from './auth/creation-keys.ts';
import { loadApiConfig } from './config.ts';
import { type Database, openEmbedded, openPostgres } from './db/database.ts';

const USAGE = `usage: conclave-api <command>

  creation-keys mint --label <text>   mint a key that allows creating meetings (shown once)
  creation-keys list                  list keys (never the keys themselves)
  creation-keys revoke <id>           revoke a key
  migrate                             apply database migrations and exit

The database is the one the API uses: DATABASE_URL in distributed mode, CONCLAVE_DATA_DIR when embedded.`;

async function openDatabase(): Promise<Database> {
  const config = loadApiConfig();
  if (config.CONCLAVE_MODE === 'distributed' || config.DATABASE_URL)
    return openPostgres(config.DATABASE_URL!);
  if (!config.CONCLAVE_DATA_DIR)
    throw new Error('set CONCLAVE_DATA_DIR (embedded) or DATABASE_URL (PostgreSQL)');
  return openEmbedded(config.CONCLAVE_DATA_DIR);
}

async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { label: { type: 'string' } },
  });
  const [group, command, argument] = positionals;
  if (group === 'migrate') {
    const db = await openDatabase();
    await db.close();
    console.log('migrations applied');
    return 0;
  }
  if (group !== 'creation-keys' || !command) {
    console.error(USAGE);
    return 2;
  }
  const db = await openDatabase();
  try {
    const keys = new CreationKeyStore(db.prisma);
    switch (command) {
      case 'mint': {
        const label = values.label?.trim();
        if (!label || label.length > 100) {
          console.error('creation-keys mint needs --label <1..100 characters>');
          return 2;
        }
        const { id, key } = await keys.mint(label);
        console.log(JSON.stringify({ id, key }));
        return 0;
      }
      case 'list':
        for (const k of await keys.list()) {
          console.log(
            JSON.stringify({
              id: k.id,
              label: k.label,
              createdAt: k.createdAt,
              revoked: k.revokedAt !== null,
            }),
          );
        }
        return 0;
      case 'revoke':
        if (!argument) {
          console.error('creation-keys revoke needs a key id');
          return 2;
        }
        if (!(await keys.revoke(argument))) {
          console.error(`no active key with id ${argument}`);
          return 1;
        }
        console.log(`revoked ${argument}`);
        return 0;
      default:
        console.error(USAGE);
        return 2;
    }
  } finally {
    await db.close();
  }
}

process.exitCode = await run(process.argv.slice(2)).catch((error: Error) => {
  console.error(error.message);
  return 1;
});
