import {
  AppMessage,
  CommitMessage,
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
  key_package: KeyPackageMessage,
  commit: CommitMessage,
  reject: RejectMessage,
  app: AppMessage,
  leave: LeaveMessage,
  kick: KickMessage,
};

const VALIDATORS = new Map(Object.entries(SCHEMAS).map(([t, schema]) => [t, Compile(schema)]));

export type ParseResult = { ok: true; message: DsClientMessage } | { ok: false; ref?: string };

/** Parses and validates one client frame against the schema of its `t`. */
export function parseClientFrame(data: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { ok: false };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false };
  const record = value as Record<string, unknown>;
  const ref = typeof record.id === 'string' && record.id.length <= 64 ? record.id : undefined;
  const validator = typeof record.t === 'string' ? VALIDATORS.get(record.t) : undefined;
  if (!validator?.Check(value)) return ref === undefined ? { ok: false } : { ok: false, ref };
  return { ok: true, message: value as DsClientMessage };
}
