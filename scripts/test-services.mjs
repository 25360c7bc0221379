#!/usr/bin/env node
// Runs one test suite with PostgreSQL and Redis of its own: `node scripts/test-services.mjs
// COMMAND ARGS…` (each workspace's `npm test` goes through it).
//
// - DATABASE_URL and REDIS_URL already set (scripts/test-infra.sh, or servers of your own):
//   the command runs against them as it is.
// - Otherwise the suite gets a fresh PostgreSQL and Redis container through testcontainers,
//   from the images compose.yaml runs (CONCLAVE_POSTGRES_IMAGE / CONCLAVE_REDIS_IMAGE override
//   them, as they do for compose; CI points them at the stand-ins of
//   deploy/stack/stand-in-images.sh), and removes both when the command ends.
//
// The containers publish no port: the suite reaches them on their bridge-network addresses,
// so nothing listens on any host interface. Docker Desktop does not route those addresses to
// the host; use scripts/test-infra.sh there (CONCLAVE_TEST_INFRA=local make test).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

const command = process.argv.slice(2);
if (command.length === 0) {
  console.error('usage: node scripts/test-services.mjs COMMAND [ARGS…]');
  process.exit(2);
}
if (process.env.DATABASE_URL && process.env.REDIS_URL) process.exit(await run(process.env));

// The reaper (Ryuk) is an image from a registry; this script removes its containers itself.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
const { GenericContainer, Wait } = await import('testcontainers');

const password = randomBytes(18).toString('base64url');
const label = { 'org.conclave.test-services': process.cwd() };
let postgres;
let redis;
let status = 1;
try {
  const images = composeDefaults();
  const started = await Promise.allSettled([
    new GenericContainer(process.env.CONCLAVE_POSTGRES_IMAGE || images.postgres)
      .withEnvironment({ POSTGRES_USER: 'conclave', POSTGRES_PASSWORD: password, POSTGRES_DB: 'conclave' })
      // Durability buys nothing in a throwaway database and costs the suites minutes.
      .withCommand([
        'postgres',
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
      ])
      .withLabels(label)
      .withWaitStrategy(Wait.forSuccessfulCommand('pg_isready -h 127.0.0.1 -U conclave -d conclave'))
      .start(),
    new GenericContainer(process.env.CONCLAVE_REDIS_IMAGE || images.redis)
      // The official image's entrypoint turns protected mode off; Debian's redis-server does not.
      .withCommand(['redis-server', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'])
      .withLabels(label)
      .withWaitStrategy(Wait.forSuccessfulCommand('redis-cli ping'))
      .start(),
  ]);
  // Both are kept even when one fails, so `finally` removes whichever did start.
  [postgres, redis] = started.map((result) => (result.status === 'fulfilled' ? result.value : undefined));
  const failure = started.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
  const pgHost = postgres.getIpAddress('bridge');
  const redisHost = redis.getIpAddress('bridge');
  console.error(`test-services: PostgreSQL at ${pgHost}, Redis at ${redisHost}`);
  status = await run({
    ...process.env,
    DATABASE_URL: `postgresql://conclave:${password}@${pgHost}:5432/conclave`,
    REDIS_URL: `redis://${redisHost}:6379`,
  });
} catch (error) {
  console.error(`test-services: could not start PostgreSQL and Redis containers: ${error.message}`);
  console.error(
    '  (no Docker engine, or no image? CONCLAVE_TEST_INFRA=local make test uses scripts/test-infra.sh)',
  );
} finally {
  await Promise.allSettled([postgres?.stop({ timeout: 1 }), redis?.stop({ timeout: 1 })]);
}
process.exit(status);

/** Runs the suite with `env`, passing Ctrl-C on; resolves to its exit status. */
function run(env) {
  return new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), { env, stdio: 'inherit' });
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    child.on('error', (error) => {
      console.error(`test-services: ${command[0]}: ${error.message}`);
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** The default images of compose.yaml's postgres and redis services (one place names them). */
function composeDefaults() {
  const compose = readFileSync(new URL('../compose.yaml', import.meta.url), 'utf8');
  const image = (variable) => {
    const match = compose.match(new RegExp(`\\$\\{${variable}:-([^}]+)\\}`));
    if (!match) throw new Error(`compose.yaml names no default for ${variable}`);
    return match[1];
  };
  return { postgres: image('CONCLAVE_POSTGRES_IMAGE'), redis: image('CONCLAVE_REDIS_IMAGE') };
}
