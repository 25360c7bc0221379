/**
 * The host's list of scheduled meetings, encrypted at rest under a passphrase. One versioned JSON
 * record, the same in storage and in an exported file:
 *
 *   {"format":"conclave-meeting-list","version":1,
 *    "kdf":{"name":"scrypt","N":131072,"r":8,"p":1},
 *    "salt":<16 bytes>,"check":<16 bytes>,"iv":<12 bytes>,"ciphertext":<AES-256-GCM>}   (base64url)
 *
 * scrypt(passphrase NFC, salt, N, r, p) gives 64 bytes: the first 32 are imported as a
 * non-extractable AES-256-GCM key, the hash of the other 32 is `check`, which tells a wrong
 * passphrase apart from a damaged file. The header (format, version, kdf, salt, check) is the
 * GCM additional data, so changing any of it fails decryption.
 */
import {
  base64urlToBytes,
  bytesToBase64url,
  randomBytes,
  timingSafeEqual,
  utf8Decode,
  utf8Encode,
} from '@conclave/e2ee';
import { runScrypt } from './scrypt-runner.ts';
import { isScheduledMeeting, type ScheduledMeeting } from './scheduled-meeting.ts';

export const FORMAT = 'conclave-meeting-list';
export const VERSION = 1;

export interface KdfParams {
  name: 'scrypt';
  N: number;
  r: number;
  p: number;
}

/** 128 MiB and about a second in a browser: what every new list is written with. */
export const DEFAULT_KDF: KdfParams = { name: 'scrypt', N: 2 ** 17, r: 8, p: 1 };

export type MeetingListErrorCode =
  | 'malformed'
  | 'unsupported_version'
  | 'unsupported_kdf'
  | 'wrong_passphrase'
  | 'tampered'
  | 'empty_passphrase'
  | 'passphrase_mismatch'
  | 'storage_refused'
  | 'no_list'
  | 'locked';

export class MeetingListError extends Error {
  readonly code: MeetingListErrorCode;
  constructor(code: MeetingListErrorCode, message: string) {
    super(message);
    this.name = 'MeetingListError';
    this.code = code;
  }
}

export interface SealedRecord {
  format: typeof FORMAT;
  version: typeof VERSION;
  kdf: KdfParams;
  salt: string;
  check: string;
  iv: string;
  ciphertext: string;
}

/** The key of an unlocked list and the header it is sealed under. */
export interface ListKey {
  key: CryptoKey;
  kdf: KdfParams;
  salt: string;
  check: string;
}

const isPowerOfTwo = (n: number) => Number.isInteger(n) && n > 1 && (n & (n - 1)) === 0;

/** Files from elsewhere choose their parameters: bounded so that opening one cannot exhaust the page. */
function assertKdf(kdf: unknown): asserts kdf is KdfParams {
  const k = kdf as Partial<KdfParams> | null;
  const ok =
    typeof k === 'object' &&
    k !== null &&
    k.name === 'scrypt' &&
    isPowerOfTwo(k.N!) &&
    k.N! >= 2 ** 10 &&
    Number.isInteger(k.r) &&
    k.r! >= 1 &&
    k.r! <= 32 &&
    Number.isInteger(k.p) &&
    k.p! >= 1 &&
    k.p! <= 4 &&
    128 * k.N! * k.r! <= 256 * 2 ** 20;
  if (!ok)
    throw new MeetingListError(
      'unsupported_kdf',
      'The file uses key derivation settings this page does not accept.',
    );
}

function decode(text: unknown, length?: number): Uint8Array<ArrayBuffer> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    if (typeof text !== 'string') throw new Error();
    bytes = base64urlToBytes(text);
  } catch {
    throw new MeetingListError('malformed', 'The file is damaged: a field is not valid base64url.');
  }
  if (length !== undefined && bytes.length !== length)
    throw new MeetingListError('malformed', 'The file is damaged: a field has the wrong length.');
  return bytes;
}

/** Reads a stored or imported record; throws a MeetingListError naming what is wrong. */
export function parseRecord(text: string): SealedRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new MeetingListError('malformed', 'This is not a Conclave meeting list file.');
  }
  const r = value as Partial<SealedRecord> | null;
  if (typeof r !== 'object' || r === null || r.format !== FORMAT)
    throw new MeetingListError('malformed', 'This is not a Conclave meeting list file.');
  if (r.version !== VERSION)
    throw new MeetingListError(
      'unsupported_version',
      'This meeting list was written by another version of Conclave.',
    );
  assertKdf(r.kdf);
  decode(r.salt, 16);
  decode(r.check, 16);
  decode(r.iv, 12);
  if (decode(r.ciphertext).length < 16)
    throw new MeetingListError('malformed', 'The file is damaged: it is too short.');
  const { format, version, kdf, salt, check, iv, ciphertext } = r as SealedRecord;
  return {
    format,
    version,
    kdf: { name: kdf.name, N: kdf.N, r: kdf.r, p: kdf.p },
    salt,
    check,
    iv,
    ciphertext,
  };
}

const header = (k: Pick<ListKey, 'kdf' | 'salt' | 'check'>) =>
  utf8Encode(`${FORMAT}.${VERSION}.${k.kdf.name}.${k.kdf.N}.${k.kdf.r}.${k.kdf.p}.${k.salt}.${k.check}`);

async function derive(passphrase: string, salt: Uint8Array, kdf: KdfParams) {
  const out = await runScrypt({
    passphrase: utf8Encode(passphrase.normalize('NFC')),
    salt,
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    dkLen: 64,
    maxmem: 300 * 2 ** 20,
  });
  const key = await crypto.subtle.importKey('raw', out.slice(0, 32), 'AES-GCM', false, [
    'encrypt',
    'decrypt',
  ]);
  const check = new Uint8Array(await crypto.subtle.digest('SHA-256', out.slice(32))).slice(0, 16);
  out.fill(0);
  return { key, check };
}

function assertPassphrase(passphrase: string): void {
  if (passphrase.length === 0) throw new MeetingListError('empty_passphrase', 'Enter a passphrase.');
}

/** A key for a new list, with a fresh salt. */
export async function newListKey(passphrase: string, kdf: KdfParams = DEFAULT_KDF): Promise<ListKey> {
  assertPassphrase(passphrase);
  assertKdf(kdf);
  const salt = randomBytes(16);
  const { key, check } = await derive(passphrase, salt, kdf);
  return { key, kdf, salt: bytesToBase64url(salt), check: bytesToBase64url(check) };
}

/** The key of an existing record; a wrong passphrase is told apart by `check`. */
export async function unlockRecord(record: SealedRecord, passphrase: string): Promise<ListKey> {
  assertPassphrase(passphrase);
  const { key, check } = await derive(passphrase, decode(record.salt, 16), record.kdf);
  if (!timingSafeEqual(check, decode(record.check, 16)))
    throw new MeetingListError('wrong_passphrase', 'The passphrase is wrong.');
  return { key, kdf: record.kdf, salt: record.salt, check: record.check };
}

export async function openRecord(record: SealedRecord, k: ListKey): Promise<ScheduledMeeting[]> {
  let plain: ArrayBuffer;
  try {
    plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: decode(record.iv, 12), additionalData: header(record) },
      k.key,
      decode(record.ciphertext),
    );
  } catch {
    throw new MeetingListError(
      'tampered',
      'The list was changed or damaged after it was saved: it cannot be opened.',
    );
  }
  let list: unknown;
  try {
    list = (JSON.parse(utf8Decode(new Uint8Array(plain))) as { meetings?: unknown }).meetings;
  } catch {
    list = undefined;
  }
  if (!Array.isArray(list) || !list.every(isScheduledMeeting))
    throw new MeetingListError('malformed', 'The list opened but its content is not valid.');
  return list;
}

/** Seals the list with a fresh IV under an unlocked key; the result is stored or exported as is. */
export async function sealRecord(meetings: readonly ScheduledMeeting[], k: ListKey): Promise<string> {
  const iv = randomBytes(12);
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: header(k) },
    k.key,
    utf8Encode(JSON.stringify({ meetings })),
  );
  const record: SealedRecord = {
    format: FORMAT,
    version: VERSION,
    kdf: k.kdf,
    salt: k.salt,
    check: k.check,
    iv: bytesToBase64url(iv),
    ciphertext: bytesToBase64url(new Uint8Array(ciphertext)),
  };
  return JSON.stringify(record);
}
