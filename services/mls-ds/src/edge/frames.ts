import {
  AppMessage,
  CommitMessage,
  DS_PROTOCOL_VERSION,
  DsCloseReason,
  HelloMessage,
  KeyPackageMessage,
  KickMessage,
  LeaveMessage,
  RejectMessage,
  ResumeMessage,
  type DsClientMessage,
} from '@conclave/protocol';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

const SCHEMAS: Record<string, TSchema> = {
  hello: HelloMessage,
  resume: ResumeMessage,
  keyPackage: KeyPackageMessage,
  commit: CommitMessage,
  reject: RejectMessage,
  app: AppMessage,
  leave: LeaveMessage,
  kick: KickMessage,
};

const VALIDATORS = new Map(Object.entries(SCHEMAS).map(([type, schema]) => [type, Compile(schema)]));

export type ParseResult = { ok: true; message: DsClientMessage } | { ok: false; ref?: string };

/** A connection's first frame: a `hello` or `resume`, or the reason of the 4400 close. */
export type FirstFrame =
  | { ok: true; message: Extract<DsClientMessage, { type: 'hello' | 'resume' }> }
  | { ok: false; reason: 'expected_hello' | typeof DsCloseReason.unsupportedVersion };

function parseObject(data: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return value as Record<string, unknown>;
}

/** Parses and validates one client frame against the schema of its `type`. */
export function parseClientFrame(data: string): ParseResult {
  const record = parseObject(data);
  if (!record) return { ok: false };
  const ref = typeof record.id === 'string' && record.id.length <= 64 ? record.id : undefined;
  const validator = typeof record.type === 'string' ? VALIDATORS.get(record.type) : undefined;
  if (!validator?.Check(record)) return ref === undefined ? { ok: false } : { ok: false, ref };
  return { ok: true, message: record as DsClientMessage };
}

/**
 * Parses the first frame of a connection. A `hello` or `resume` of another protocol version
 * (another `v`, or version 1's kind field `t`) is told apart from a broken frame: that client
 * is out of date, and the close reason says so.
 */
export function parseFirstFrame(data: string): FirstFrame {
  const parsed = parseClientFrame(data);
  if (parsed.ok && (parsed.message.type === 'hello' || parsed.message.type === 'resume'))
    return { ok: true, message: parsed.message };
  const record = parseObject(data);
  const start = (kind: unknown) => kind === 'hello' || kind === 'resume';
  if (record && (start(record.t) || (start(record.type) && record.v !== DS_PROTOCOL_VERSION)))
    return { ok: false, reason: DsCloseReason.unsupportedVersion };
  return { ok: false, reason: 'expected_hello' };
}
