/**
 * The audit of a deployment's stores once a meeting is over, whatever reads them (compose
 * containers, Kubernetes pods): the needles a meeting left, positive controls that prove each
 * kind of source was read, a scan during the call that finds the meeting where it must be, and
 * rescanning until nothing is left or the purge deadline passed.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { MeetingNames } from '../../../../../services/api/src/meetings/meeting-names.ts';
import { deriveStateKeys } from '../../../../../services/api/src/state-keys.ts';
import { type Hit, type Needle, Scanner } from '../../support/scan.ts';
import type { RedisKey } from './dumps.ts';
import { type Person, seconds, sleep } from './participants.ts';

// The longest-lived state naming an ended meeting (the SFU's room registry entry, the API's
// queued jobs) is gone within this.
export const PURGE_DEADLINE_MS = 150_000;

/** Positive controls of a final scan are labelled so. */
export const CONTROL = 'control:';
/** A hit of a needle, not of a positive control. */
export const found = (h: { needle: string }) => !h.needle.startsWith(CONTROL);
export const printable = (h: Hit) =>
  `${h.needle} in ${h.where}: …${h.context.replace(/[^\x20-\x7e]+/g, '·')}…`;

/** A location with its IDs masked, for progress lines. */
export function shape(where: string): string {
  return where.replace(/[A-Za-z0-9_-]{10,}/g, '<id>');
}

/** The name the API stores a meeting's row under, derived with the deployment's state key. */
export function storedName(stateKeyBase64: string, meetingId: string): string {
  return new MeetingNames(deriveStateKeys(Buffer.from(stateKeyBase64.trim(), 'base64')).naming).storageName(
    meetingId,
  );
}

/** Needles without repeats, and a line counting them by kind. */
export function uniqueNeedles(needles: Needle[]): { unique: Needle[]; kinds: string } {
  const unique = [...new Map(needles.map((n) => [n.value, n])).values()];
  const kinds = new Map<string, number>();
  for (const n of unique) {
    const kind = n.label.replace(/ \(.*\)$/, '');
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  return { unique, kinds: [...kinds].map(([k, n]) => `${k} ×${n}`).join(', ') };
}

/** Which kinds of needle were hit where (IDs masked), without repeats. */
export function pendingKinds(hits: Hit[]): string[] {
  return [...new Set(hits.filter(found).map((h) => `${h.needle.split(' (')[0]} in ${shape(h.where)}`))];
}

/**
 * What a scan during the call is given: the meeting's ID, the call's room and group IDs from
 * the host's join token, and the name its row is stored under.
 */
export function liveNeedles(host: Person, meetingId: string, rowName: string): Needle[] {
  const room = host.secrets.find((n) => n.label === 'SFU room ID')?.value;
  const group = host.secrets.find((n) => n.label === 'MLS group ID')?.value;
  assert.ok(room && group, 'the host’s join token was seen');
  return [
    { label: 'meeting ID', value: meetingId },
    { label: 'SFU room ID', value: room },
    { label: 'MLS group ID', value: group },
    { label: 'stored row name', value: rowName },
  ];
}

/**
 * The positive control of a scan during the call (given liveNeedles): it finds the meeting
 * where it must be (its row in the PostgreSQL dump, under the name the API derives with the
 * deployment's state key; its room in live Redis state), and the dump holds no meeting, room
 * or group ID even then.
 */
export function assertMidCall(scanner: { hits: Hit[] }): void {
  const inDump = (label: string) =>
    scanner.hits.some((h) => h.needle.startsWith(label) && h.where === 'postgres dump');
  assert.ok(inDump('stored row name'), 'the meeting’s row is in the PostgreSQL dump during the call');
  for (const label of ['meeting ID', 'SFU room ID', 'MLS group ID'])
    assert.equal(inDump(label), false, `the ${label} is not in the PostgreSQL dump, even during the call`);
  assert.ok(
    scanner.hits.some((h) => h.needle.startsWith('SFU room ID') && h.where.startsWith('redis ')),
    'the call’s room is in live Redis state',
  );
}

/** The oldest migration of the API's schema: its name is a row in every deployed database. */
export async function firstMigration(): Promise<string> {
  const migrations = new URL('../../../../../services/api/prisma/migrations/', import.meta.url);
  return (await readdir(migrations)).filter((n) => /^\d{14}_/.test(n)).sort()[0]!;
}

/**
 * Clean-up (the meeting row, queued jobs, the DS's and SFU's state, rate-limit windows) takes a
 * while: scans with a fresh Scanner and `audit` until no needle is hit or PURGE_DEADLINE_MS has
 * passed since `started`, printing what is pending each time; the last scan.
 */
export async function scanUntilClean<A extends { counts: { redisKeys: number } }>(
  needles: Needle[],
  audit: (scanner: Scanner) => Promise<A>,
  started: number,
): Promise<{ scanner: Scanner; audit: A }> {
  for (;;) {
    const scanner = new Scanner(needles);
    const done = await audit(scanner);
    const pending = pendingKinds(scanner.hits);
    console.log(
      `audit: +${seconds(started)}: ${done.counts.redisKeys} Redis keys, ${pending.length} kinds of hits ${JSON.stringify(pending)}`,
    );
    if (pending.length === 0 || Date.now() - started > PURGE_DEADLINE_MS) return { scanner, audit: done };
    await sleep(5_000);
  }
}

/** The Redis keys left, by shape, with their type and remaining lifetime. */
export function redisLifetimes(keys: RedisKey[]): string {
  const lifetimes = keys.map(
    (k) => `${shape(k.name)} (${k.type}, ${k.ttlMs < 0 ? 'no TTL' : `${Math.ceil(k.ttlMs / 1000)} s`})`,
  );
  return [...new Set(lifetimes)].sort().join(', ') || 'none';
}

/** A positive control was hit in a source whose location starts with `where`. */
export function controlled(scanner: Scanner, label: string, where: string): boolean {
  return scanner.hits.some((h) => h.needle.startsWith(`${CONTROL} ${label}`) && h.where.startsWith(where));
}

/** What scanUntilClean needs of an audit, and what auditAfterEnd prints of it. */
export interface DeploymentAudit {
  counts: { redisKeys: number; skipped: string[] };
  redisKeys: RedisKey[];
}

/**
 * The audit once a meeting is over: at least `minimum` distinct needles, rescanned with
 * `scan` until clean (scanUntilClean), then `finish` reads the slow sources (volumes) once with
 * the last scanner. Prints the needles by kind, what was read, the Redis keys left and what
 * could not be read.
 */
export async function auditAfterEnd<A extends DeploymentAudit>(options: {
  needles: Needle[];
  minimum: number;
  controls: Needle[];
  scan: (scanner: Scanner) => Promise<A>;
  finish: (audit: A) => Promise<void>;
  describe: (audit: A) => string;
}): Promise<{ scanner: Scanner; audit: A }> {
  const { unique, kinds } = uniqueNeedles(options.needles);
  assert.ok(unique.length >= options.minimum, `identifiers recorded: ${unique.length}`);
  console.log(`audit: identifiers: ${kinds}`);
  const started = Date.now();
  const { scanner, audit } = await scanUntilClean([...unique, ...options.controls], options.scan, started);
  await options.finish(audit);
  console.log(
    `audit: ${unique.length} identifiers; scanned ${options.describe(audit)}; ${seconds(started)} after the end`,
  );
  console.log(`audit: Redis keys left: ${redisLifetimes(audit.redisKeys)}`);
  if (audit.counts.skipped.length) console.log(`audit: not read: ${audit.counts.skipped.join('; ')}`);
  return { scanner, audit };
}
