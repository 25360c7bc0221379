/**
 * The body of a `recording` application message: a small JSON object, checked field by field on
 * the way in. Bytes from another member are untrusted: anything else is a RecordingNoticeError.
 */

export type RecordingNotice =
  /** The sender started (or, to a newcomer, is still) recording. */
  | { type: 'started' }
  /** The sender stopped recording. */
  | { type: 'stopped' }
  /** A host's "ask before recording" preference. */
  | { type: 'policy'; ask: boolean }
  /** A participant asks the hosts to record; `id` pairs the answer with the question. */
  | { type: 'request'; id: string }
  /** A host's answer to the request `id` of the member on leaf `leaf`. */
  | { type: 'answer'; id: string; leaf: number; allow: boolean };

export class RecordingNoticeError extends Error {
  override readonly name = 'RecordingNoticeError';
  readonly code = 'malformed-recording-notice';
}

const MAX_BYTES = 256;
const ID = /^[0-9a-f]{8,32}$/;
const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export const encodeRecordingNotice = (notice: RecordingNotice): Uint8Array =>
  enc.encode(JSON.stringify(notice));

export function decodeRecordingNotice(bytes: Uint8Array): RecordingNotice {
  const fail = (why: string): never => {
    throw new RecordingNoticeError(`recording notice: ${why}`);
  };
  if (bytes.length === 0 || bytes.length > MAX_BYTES) fail(`length ${bytes.length}`);
  let value: unknown;
  try {
    value = JSON.parse(dec.decode(bytes));
  } catch {
    fail('not UTF-8 JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('not an object');
  const v = value as Record<string, unknown>;
  const id = () => (typeof v['id'] === 'string' && ID.test(v['id']) ? v['id'] : fail('bad id'));
  switch (v['type']) {
    case 'started':
    case 'stopped':
      return { type: v['type'] };
    case 'policy':
      return { type: 'policy', ask: typeof v['ask'] === 'boolean' ? v['ask'] : fail('bad ask') };
    case 'request':
      return { type: 'request', id: id() };
    case 'answer': {
      const leaf = v['leaf'];
      if (typeof leaf !== 'number' || !Number.isInteger(leaf) || leaf < 0 || leaf > 0xffff) fail('bad leaf');
      if (typeof v['allow'] !== 'boolean') fail('bad allow');
      return { type: 'answer', id: id(), leaf: leaf as number, allow: v['allow'] as boolean };
    }
    default:
      return fail(`unknown type ${JSON.stringify(v['type'])?.slice(0, 20)}`);
  }
}
