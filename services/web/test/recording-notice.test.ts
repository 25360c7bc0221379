/** Recording notices over MLS without a browser: the body codec and who-records state. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AppMessageKind } from '@conclave/e2ee';
import { decodeAppMessage, encodeAppMessage } from '@conclave/e2ee';
import {
  decodeRecordingNotice,
  encodeRecordingNotice,
  RecordingNoticeError,
} from '../src/app/meeting/recording-notice.ts';
import { RecordingNotices } from '../src/app/meeting/recording-notices.ts';
import type { RosterEntry } from '../src/app/meeting/types.ts';

const enc = new TextEncoder();

describe('recording notice codec', () => {
  it('round-trips every notice through the MLS application envelope as kind 6', () => {
    for (const notice of [
      { type: 'started' },
      { type: 'stopped' },
      { type: 'policy', ask: true },
      { type: 'request', id: '0123456789abcdef' },
      { type: 'answer', id: '0123456789abcdef', leaf: 3, allow: false },
    ] as const) {
      const wire = encodeAppMessage({ kind: 'recording', body: encodeRecordingNotice(notice) });
      assert.equal(wire[1], 6);
      const back = decodeAppMessage(wire);
      assert.equal(back.kind, 'recording');
      assert.deepEqual(decodeRecordingNotice(back.body), notice);
    }
  });

  it('bad bytes are a typed error, never a crash', () => {
    const bad: (string | Uint8Array)[] = [
      new Uint8Array(0),
      new Uint8Array([0xff, 0xfe, 0x00]),
      'not json',
      '[]',
      'null',
      '42',
      '{}',
      '{"type":"burn"}',
      '{"type":"policy"}',
      '{"type":"policy","ask":"yes"}',
      '{"type":"request","id":"ZZZZZZZZ"}',
      '{"type":"request","id":"ab"}',
      '{"type":"answer","id":"0123456789abcdef","leaf":-1,"allow":true}',
      '{"type":"answer","id":"0123456789abcdef","leaf":1.5,"allow":true}',
      '{"type":"answer","id":"0123456789abcdef","leaf":2}',
      `{"type":"started","pad":"${'x'.repeat(300)}"}`,
    ];
    for (const b of bad) {
      const bytes = typeof b === 'string' ? enc.encode(b) : b;
      assert.throws(
        () => decodeRecordingNotice(bytes),
        (e: unknown) => e instanceof RecordingNoticeError && e.code === 'malformed-recording-notice',
        JSON.stringify(typeof b === 'string' ? b : [...b]),
      );
    }
    // Extra fields are ignored, not carried.
    assert.deepEqual(decodeRecordingNotice(enc.encode('{"type":"started","x":1}')), { type: 'started' });
  });
});

function setup(options: { host?: boolean; ownLeaf?: number } = {}) {
  const sent: { kind: AppMessageKind; notice: unknown }[] = [];
  const notices: string[] = [];
  const roster = new Map<number, RosterEntry>();
  const person = (leaf: number, name: string, host = false) =>
    roster.set(leaf, { leaf, name, peerId: `p${leaf}`, member: `m${leaf}`, hand: false, host });
  const unit = new RecordingNotices({
    send: async (kind, body) => {
      sent.push({ kind, notice: decodeRecordingNotice(body) });
    },
    roster,
    ownLeaf: () => options.ownLeaf ?? 0,
    isHost: () => options.host ?? false,
    events: { changed: () => {}, notice: (t) => notices.push(t) },
  });
  const from = (leaf: number, notice: object) => unit.receive(leaf, enc.encode(JSON.stringify(notice)));
  return { unit, sent, notices, person, from };
}

describe('who records', () => {
  it('lists recorders until they stop or their leaf leaves, and drops bad notices', () => {
    const { unit, notices, person, from } = setup();
    person(1, 'Ada');
    person(2, 'Bo');
    from(1, { type: 'started' });
    from(2, { type: 'started' });
    from(1, { type: 'started' });
    assert.deepEqual([...unit.recorders], [1, 2]);
    assert.deepEqual(notices, ['Ada is recording', 'Bo is recording']);
    assert.ok(unit.receive(1, enc.encode('{"type":"stopped"')) instanceof RecordingNoticeError);
    assert.deepEqual([...unit.recorders], [1, 2]);
    from(1, { type: 'stopped' });
    assert.deepEqual([...unit.recorders], [2]);
    unit.prune({ members: [0, 1], added: [], removed: [2] });
    assert.deepEqual([...unit.recorders], []);
    assert.deepEqual(notices.at(-1), 'Ada stopped recording');
  });

  it('a recorder re-announces after each Add; a host re-sends its ask-first preference', async () => {
    const { unit, sent } = setup({ host: true });
    unit.started();
    await unit.setAsk(true);
    sent.length = 0;
    unit.joined();
    assert.deepEqual(
      sent.map((s) => s.notice),
      [{ type: 'started' }, { type: 'policy', ask: true }],
    );
  });

  it('a participant asks while a host claims ask-first, and only a host’s answer counts', async () => {
    const { unit, sent, person, from } = setup({ ownLeaf: 4 });
    person(1, 'Hosty', true);
    person(2, 'Mallory');
    from(2, { type: 'policy', ask: true });
    assert.equal(unit.askFirst, false, 'a non-host’s preference does not count');
    from(1, { type: 'policy', ask: true });
    assert.equal(unit.askFirst, true);
    const asked = unit.permission();
    await new Promise((r) => setImmediate(r));
    const request = sent.at(-1)!.notice as { type: string; id: string };
    assert.equal(request.type, 'request');
    from(2, { type: 'answer', id: request.id, leaf: 4, allow: true });
    from(1, { type: 'answer', id: request.id, leaf: 4, allow: false });
    assert.equal(await asked, 'denied');
  });

  it('hosts see requests and answer them to everyone', async () => {
    const { unit, sent, person, from, notices } = setup({ host: true, ownLeaf: 0 });
    person(3, 'Cy');
    from(3, { type: 'request', id: 'aaaaaaaaaaaaaaaa' });
    assert.deepEqual(unit.requests, [{ id: 'aaaaaaaaaaaaaaaa', leaf: 3 }]);
    assert.equal(notices.at(-1), 'Cy asks to record the meeting');
    await unit.answer('aaaaaaaaaaaaaaaa', true);
    assert.deepEqual(unit.requests, []);
    assert.deepEqual(sent.at(-1)!.notice, { type: 'answer', id: 'aaaaaaaaaaaaaaaa', leaf: 3, allow: true });
    assert.equal(await unit.permission(), 'allowed', 'hosts record without asking');
  });
});
