/** Roster and chat state from MLS application messages, without a browser. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AppMessage, AppMessageKind } from '@conclave/e2ee';
import { RosterChat, type RosterChatEvents } from '../src/app/meeting/roster-chat.ts';
import type { ChatLine } from '../src/app/meeting/types.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const message = (kind: AppMessageKind, body: string | object): AppMessage => ({
  kind,
  body: enc.encode(typeof body === 'string' ? body : JSON.stringify(body)),
});

function setup(send: (kind: AppMessageKind, body: Uint8Array) => Promise<void> = async () => {}) {
  const seen = {
    chat: [] as ChatLine[],
    notices: [] as string[],
    presence: [] as string[],
    reactions: [] as string[],
    locked: [] as boolean[],
    rosterChanged: 0,
    changed: 0,
  };
  const events: RosterChatEvents = {
    changed: () => seen.changed++,
    notice: (t) => seen.notices.push(t),
    presence: (t) => seen.presence.push(t),
    chat: (l) => seen.chat.push(l),
    reaction: (name, emoji) => seen.reactions.push(`${name} ${emoji}`),
    rosterChanged: () => seen.rosterChanged++,
    locked: (l) => seen.locked.push(l),
  };
  return { people: new RosterChat('Me', send, events), seen };
}

describe('roster and chat', () => {
  it('a roster entry is the sending leaf’s own word, bounded and defaulted', () => {
    const { people, seen } = setup();
    people.receive(
      3,
      message('roster', { name: 'A'.repeat(100), peerId: 'p3', member: 'm3', hand: true, host: 'yes' }),
    );
    people.receive(4, message('roster', { leaf: 9, peerId: 'p4' }));
    people.receive(5, message('roster', 'not json'));
    assert.deepEqual(people.roster.get(3), {
      leaf: 3,
      name: 'A'.repeat(64),
      peerId: 'p3',
      member: 'm3',
      hand: true,
      host: false,
    });
    assert.equal(people.roster.get(4)?.leaf, 4, 'the leaf is the sender’s, whatever the body says');
    assert.equal(people.roster.get(4)?.name, 'Participant 4');
    assert.equal(people.roster.has(5), false);
    assert.equal(seen.rosterChanged, 2, 'media bindings follow each valid entry');
    assert.equal(seen.changed, 3);
  });

  it('chat, reactions and hands name the sender from the roster', () => {
    const { people, seen } = setup();
    people.receive(2, message('roster', { name: 'Ada', peerId: 'p2' }));
    people.receive(2, message('chat', 'hello'));
    people.receive(7, message('chat', 'x'.repeat(5000)));
    people.receive(2, message('reaction', '👍'));
    people.receive(2, message('hand', '1'));
    assert.deepEqual(
      seen.chat.map((l) => [l.from, l.text.length, l.self]),
      [
        ['Ada', 5, false],
        ['Participant 7', 4000, false],
      ],
    );
    assert.deepEqual(people.chat, seen.chat);
    assert.deepEqual(seen.reactions, ['Ada 👍']);
    assert.equal(people.roster.get(2)?.hand, true);
    assert.deepEqual(seen.notices, ['Ada raised their hand']);
  });

  it('a host’s lock notice is passed on; other host messages are not', () => {
    const { people, seen } = setup();
    people.receive(1, message('host', 'locked'));
    people.receive(1, message('host', 'unlocked'));
    people.receive(1, message('host', 'something else'));
    assert.deepEqual(seen.locked, [true, false]);
  });

  it('an epoch drops the entries of leaves that left, and of leaves filled again', () => {
    const { people } = setup();
    for (const leaf of [0, 1, 2, 3])
      people.receive(leaf, message('roster', { name: `n${leaf}`, peerId: `p${leaf}` }));
    people.prune({ members: [0, 1, 3], added: [3], removed: [2, 3] });
    assert.deepEqual([...people.roster.keys()], [0, 1]);
    assert.deepEqual(
      people.others(0).map((e) => e.leaf),
      [1],
    );
  });

  it('tells who joined and who left, but not who was there before us', () => {
    const { people, seen } = setup();
    // Our first epoch: everyone already in it announces themselves; nobody "joins".
    people.prune({ members: [0, 1], added: [], removed: [] });
    people.receive(1, message('roster', { name: 'Ada', peerId: 'p1' }));
    // A commit adds leaf 2; its first entry is a join, a repeated entry is not.
    people.prune({ members: [0, 1, 2], added: [2], removed: [] });
    people.receive(2, message('roster', { name: 'Grace', peerId: 'p2' }));
    people.receive(2, message('roster', { name: 'Grace', peerId: 'p2', hand: true }));
    // Ada leaves; a leaf nobody had named leaves silently.
    people.prune({ members: [0, 2], added: [], removed: [1, 5] });
    assert.deepEqual(seen.presence, ['Grace joined', 'Ada left']);
    assert.deepEqual(seen.notices, [], 'joins and leaves are announced, not shown as notices');
  });

  it('own messages go out through MLS, and show only once sent', async () => {
    const sent: string[] = [];
    let fail = false;
    const { people, seen } = setup(async (kind, body) => {
      if (fail) throw new Error('not connected');
      sent.push(`${kind}:${dec.decode(body)}`);
    });
    people.announce({ leaf: 0, name: 'Me', peerId: 'p0', member: 'm0', hand: false, host: true });
    await people.sendChat('hi');
    await people.setHand(true, 0);
    await people.sendReaction('🎉');
    assert.deepEqual(sent, [
      'roster:{"name":"Me","peerId":"p0","member":"m0","hand":false,"host":true}',
      'chat:hi',
      'hand:1',
      'reaction:🎉',
    ]);
    assert.equal(people.roster.get(0)?.hand, true, 'our own entry follows our hand');
    assert.deepEqual(
      seen.chat.map((l) => [l.from, l.text, l.self]),
      [['Me', 'hi', true]],
    );
    fail = true;
    await assert.rejects(people.sendChat('lost'));
    assert.equal(people.chat.length, 1, 'a message that was not sent is not shown');
  });
});
