/** The encrypted list of scheduled meetings: round trip, wrong passphrase, damaged and hostile files. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_KDF,
  type KdfParams,
  MeetingListError,
  newListKey,
  openRecord,
  parseRecord,
  sealRecord,
  unlockRecord,
} from '../src/app/schedule/meeting-list-codec.ts';
import { mergeMeetings, type ScheduledMeeting } from '../src/app/schedule/scheduled-meeting.ts';

// Small parameters keep the unit tests fast; one test runs the real ones.
const FAST: KdfParams = { name: 'scrypt', N: 2 ** 10, r: 8, p: 1 };

const meeting = (id: string, title = 'Weekly review'): ScheduledMeeting => ({
  meetingId: id,
  title,
  start: '2026-12-07T09:00:00.000Z',
  end: '2026-12-07T09:30:00.000Z',
  expiresAt: '2026-12-07T11:30:00.000Z',
  link: `https://meet.example.org/m/${id}#AAAAAAAAAAAAAAAAAAAAAA`,
  hostLink: `https://meet.example.org/m/${id}#AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBA`,
  series: 's1',
  index: 1,
  total: 1,
});

const code = (c: string) => (e: unknown) => e instanceof MeetingListError && e.code === c;

describe('encrypted meeting list', () => {
  it('seals and opens with the passphrase; the record holds no title or link in clear', async () => {
    const key = await newListKey('correct horse', FAST);
    const text = await sealRecord([meeting('ABCDEFGHJK')], key);
    assert.doesNotMatch(text, /Weekly|ABCDEFGHJK|meet\.example/);
    const record = parseRecord(text);
    assert.deepEqual(record.kdf, FAST);
    const again = await unlockRecord(record, 'correct horse');
    assert.deepEqual(await openRecord(record, again), [meeting('ABCDEFGHJK')]);
    assert.equal(again.key.extractable, false);
  });

  it('uses scrypt N=2^17 r=8 p=1 for new lists', async () => {
    assert.deepEqual(DEFAULT_KDF, { name: 'scrypt', N: 131072, r: 8, p: 1 });
    const started = performance.now();
    const key = await newListKey('pass', DEFAULT_KDF);
    const ms = performance.now() - started;
    const record = parseRecord(await sealRecord([], key));
    assert.deepEqual(record.kdf, DEFAULT_KDF);
    console.log(`scrypt N=2^17 r=8 p=1 in Node: ${ms.toFixed(0)} ms`);
  });

  it('refuses a wrong passphrase with its own error', async () => {
    const record = parseRecord(await sealRecord([meeting('ABCDEFGHJK')], await newListKey('right', FAST)));
    await assert.rejects(unlockRecord(record, 'wrong'), code('wrong_passphrase'));
    await assert.rejects(unlockRecord(record, ''), code('empty_passphrase'));
  });

  it('normalises the passphrase (NFC), so a composed and a decomposed é open the same list', async () => {
    const record = parseRecord(await sealRecord([], await newListKey('caf\u00e9', FAST)));
    await unlockRecord(record, 'cafe\u0301');
  });

  it('names a damaged or changed file, and never opens it', async () => {
    const key = await newListKey('pw', FAST);
    const text = await sealRecord([meeting('ABCDEFGHJK')], key);
    const record = JSON.parse(text) as Record<string, unknown>;
    const flip = (s: string) =>
      s[5] === 'A' ? `${s.slice(0, 5)}B${s.slice(6)}` : `${s.slice(0, 5)}A${s.slice(6)}`;

    assert.throws(() => parseRecord('not json'), code('malformed'));
    assert.throws(() => parseRecord('{"format":"other"}'), code('malformed'));
    assert.throws(() => parseRecord(JSON.stringify({ ...record, version: 2 })), code('unsupported_version'));
    assert.throws(() => parseRecord(JSON.stringify({ ...record, iv: 'short' })), code('malformed'));
    assert.throws(() => parseRecord(JSON.stringify({ ...record, salt: '!!!!' })), code('malformed'));
    assert.throws(() => parseRecord(JSON.stringify({ ...record, ciphertext: 42 })), code('malformed'));
    // A file asking for a gigabyte of scrypt memory is refused before any work.
    const greedy = { ...record, kdf: { name: 'scrypt', N: 2 ** 22, r: 8, p: 1 } };
    assert.throws(() => parseRecord(JSON.stringify(greedy)), code('unsupported_kdf'));
    assert.throws(
      () => parseRecord(JSON.stringify({ ...record, kdf: { name: 'pbkdf2' } })),
      code('unsupported_kdf'),
    );

    const changedText = parseRecord(
      JSON.stringify({ ...record, ciphertext: flip(record['ciphertext'] as string) }),
    );
    await assert.rejects(openRecord(changedText, await unlockRecord(changedText, 'pw')), code('tampered'));
    const changedIv = parseRecord(JSON.stringify({ ...record, iv: flip(record['iv'] as string) }));
    await assert.rejects(openRecord(changedIv, key), code('tampered'));
  });

  it('refuses decrypted content that is not a list of meetings', async () => {
    const key = await newListKey('pw', FAST);
    const bad = parseRecord(await sealRecord([{ ...meeting('ABCDEFGHJK'), start: 'never' }], key));
    await assert.rejects(openRecord(bad, key), code('malformed'));
  });

  it('merges an imported list by meeting ID, keeping the entries already here', () => {
    const mine = [meeting('AAAAAAAAAA', 'mine')];
    const { list, added } = mergeMeetings(mine, [meeting('AAAAAAAAAA', 'theirs'), meeting('BBBBBBBBBB')]);
    assert.equal(added, 1);
    assert.deepEqual(
      list.map((m) => [m.meetingId, m.title]),
      [
        ['AAAAAAAAAA', 'mine'],
        ['BBBBBBBBBB', 'Weekly review'],
      ],
    );
  });
});
