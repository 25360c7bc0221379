import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isE2eeError } from './errors.ts';
import {
  formatMeetingLink,
  generateHostSecret,
  generateMeetingId,
  generatePassword,
  isMeetingId,
  normalizeMeetingId,
  parseMeetingLink,
} from './link.ts';

const ID = '0123456789';
const PW = 'AAECAwQFBgcICQoLDA0ODw';
const HS = '_-_-_-_-_-_-_-_-_-_-_w';

function rejects(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => isE2eeError(e) && e.code === code);
}

describe('meeting links', () => {
  it('parses a guest link into origin, meeting ID and password', () => {
    const link = parseMeetingLink(`https://meet.example.org/m/${ID}#${PW}`);
    assert.deepEqual(link, { origin: 'https://meet.example.org', meetingId: ID, password: PW });
  });

  it('parses a host link carrying the host secret after a dot', () => {
    const link = parseMeetingLink(`https://meet.example.org:8443/m/${ID}#${PW}.${HS}`);
    assert.equal(link.hostSecret, HS);
    assert.equal(link.origin, 'https://meet.example.org:8443');
  });

  it('round-trips freshly generated links', () => {
    for (let i = 0; i < 50; i++) {
      const input = {
        origin: 'https://meet.example.org',
        meetingId: generateMeetingId(),
        password: generatePassword(),
        hostSecret: generateHostSecret(),
      };
      assert.deepEqual(parseMeetingLink(formatMeetingLink(input)), input);
    }
  });

  it('generates 10-character Crockford IDs and 22-character secrets', () => {
    const id = generateMeetingId();
    assert.ok(isMeetingId(id), id);
    assert.equal(generatePassword().length, 22);
    assert.notEqual(generatePassword(), generatePassword());
  });

  it('normalizes lower-case meeting IDs to upper case', () => {
    assert.equal(parseMeetingLink(`https://h.example/m/abcdefghjk#${PW}`).meetingId, 'ABCDEFGHJK');
    assert.equal(normalizeMeetingId('zzzzzzzzzz'), 'ZZZZZZZZZZ');
  });

  it('refuses ambiguous letters and wrong lengths in meeting IDs', () => {
    rejects(() => normalizeMeetingId('ILOU123456'), 'LINK_BAD_MEETING_ID');
    rejects(() => normalizeMeetingId('012345678'), 'LINK_BAD_MEETING_ID');
    rejects(() => parseMeetingLink(`https://h.example/m/01234567890#${PW}`), 'LINK_BAD_MEETING_ID');
  });

  it('refuses plain http except on loopback', () => {
    rejects(() => parseMeetingLink(`http://h.example/m/${ID}#${PW}`), 'LINK_BAD_SCHEME');
    rejects(() => parseMeetingLink(`ftp://h.example/m/${ID}#${PW}`), 'LINK_BAD_SCHEME');
    assert.equal(parseMeetingLink(`http://localhost:3000/m/${ID}#${PW}`).meetingId, ID);
  });

  it('refuses missing, short, long or non-canonical passwords', () => {
    rejects(() => parseMeetingLink(`https://h.example/m/${ID}`), 'LINK_BAD_PASSWORD');
    rejects(() => parseMeetingLink(`https://h.example/m/${ID}#`), 'LINK_BAD_PASSWORD');
    rejects(() => parseMeetingLink(`https://h.example/m/${ID}#${PW.slice(1)}`), 'LINK_BAD_PASSWORD');
    rejects(() => parseMeetingLink(`https://h.example/m/${ID}#${PW}A`), 'LINK_BAD_PASSWORD');
    // last character 'x' sets bits beyond the 128th
    rejects(() => parseMeetingLink(`https://h.example/m/${ID}#${PW.slice(0, 21)}x`), 'LINK_BAD_PASSWORD');
    rejects(() => parseMeetingLink(`https://h.example/m/${ID}#${PW.slice(0, 21)}+`), 'LINK_BAD_PASSWORD');
  });

  it('refuses malformed host secrets and extra fragment parts', () => {
    rejects(() => parseMeetingLink(`https://h.example/m/${ID}#${PW}.short`), 'LINK_BAD_HOST_SECRET');
    rejects(() => parseMeetingLink(`https://h.example/m/${ID}#${PW}.`), 'LINK_BAD_HOST_SECRET');
    rejects(() => parseMeetingLink(`https://h.example/m/${ID}#${PW}.${HS}.${HS}`), 'LINK_MALFORMED');
  });

  it('refuses wrong paths, credentials and non-URLs', () => {
    rejects(() => parseMeetingLink(`https://h.example/x/${ID}#${PW}`), 'LINK_BAD_PATH');
    rejects(() => parseMeetingLink(`https://h.example/m/${ID}/#${PW}`), 'LINK_BAD_PATH');
    rejects(() => parseMeetingLink(`https://h.example/a/m/${ID}#${PW}`), 'LINK_BAD_PATH');
    rejects(() => parseMeetingLink(`https://u:p@h.example/m/${ID}#${PW}`), 'LINK_MALFORMED');
    rejects(() => parseMeetingLink(`/m/${ID}#${PW}`), 'LINK_MALFORMED');
  });

  it('refuses to format links from invalid parts', () => {
    rejects(
      () => formatMeetingLink({ origin: 'https://h.example', meetingId: 'abc', password: PW }),
      'LINK_BAD_MEETING_ID',
    );
    rejects(
      () => formatMeetingLink({ origin: 'https://h.example', meetingId: ID, password: 'x' }),
      'LINK_BAD_PASSWORD',
    );
    rejects(
      () => formatMeetingLink({ origin: 'http://h.example', meetingId: ID, password: PW }),
      'LINK_BAD_SCHEME',
    );
  });
});
