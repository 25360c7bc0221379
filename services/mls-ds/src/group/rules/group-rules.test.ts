import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RuleLimits } from './change.ts';
import type { CommitRequestFeed, FeedMessage, LogEntry } from './feed.ts';
import * as rules from './group-rules.ts';
import type { GroupState } from './group-state.ts';
import { missedSince } from './replay.ts';

const limits: RuleLimits = {
  resumeGraceMs: 1000,
  commitDeadlineMs: 500,
  maxCommitBatch: 2,
  maxPendingKeyPackages: 3,
  maxGroupMembers: 5,
  replayEvents: 4,
};
const at = (now: number): rules.RuleContext => ({ now, limits });

/** Applies rules in sequence, keeping the state, the feed and the replay buffer like a store. */
class Group {
  state: GroupState | undefined;
  feed: FeedMessage[] = [];
  log: LogEntry[] = [];
  now = 1000;

  run<R>(step: (g: GroupState | undefined, ctx: rules.RuleContext) => rules.Outcome<R>): R {
    const before = structuredClone(this.state);
    const outcome = step(this.state, at(this.now));
    assert.deepEqual(this.state, before, 'a rule never changes its input');
    this.state = outcome.state;
    this.feed.push(...outcome.feed);
    for (const m of outcome.feed) if (m.type === 'commit' || m.type === 'app') this.log.push(m);
    return outcome.result;
  }

  join(member: string) {
    const m = {
      member,
      connection: `c-${member}`,
      sid: `sid-${member}`,
      role: 'participant' as const,
      secretHash: `h-${member}`,
    };
    return this.run((g, ctx) => rules.join(g, m, ctx));
  }

  keyPackage(member: string) {
    return this.run((g, ctx) => rules.publishKeyPackage(g, member, `kp-${member}`, ctx));
  }

  commit(
    member: string,
    epoch: number,
    extra: Partial<{
      adds: { member: string; leaf: number }[];
      removes: string[];
      welcome: string;
      rejected: string[];
    }> = {},
  ) {
    return this.run((g, ctx) =>
      rules.submitCommit(g, member, { epoch, commit: `c${epoch}`, adds: [], removes: [], ...extra }, ctx),
    );
  }

  requests(): CommitRequestFeed[] {
    return this.feed.filter((m): m is CommitRequestFeed => m.type === 'req');
  }

  /** a creates, b joins through a commit at epoch 0. */
  static ofTwo(): Group {
    const g = new Group();
    g.join('a');
    g.join('b');
    g.keyPackage('b');
    g.commit('a', 0, { adds: [{ member: 'b', leaf: 1 }], welcome: 'w' });
    return g;
  }
}

describe('group rules', () => {
  it('the first session creates the group; later ones wait and learn the leaves', () => {
    const g = new Group();
    assert.deepEqual(g.join('a'), {
      ok: true,
      create: true,
      epoch: 0,
      seq: 0,
      members: [{ member: 'a', leaf: 0 }],
    });
    assert.deepEqual(g.join('b'), {
      ok: true,
      create: false,
      epoch: 0,
      seq: 0,
      members: [{ member: 'a', leaf: 0 }],
    });
  });

  it('a refused, reused or surplus session is turned away and nothing changes', () => {
    const g = new Group();
    g.join('a');
    g.run((s, ctx) => rules.refuseSession(s, 'sid-x', ctx));
    const before = g.state;
    const m = { member: 'x', connection: 'c', sid: 'sid-x', role: 'participant' as const, secretHash: 'h' };
    const refused = rules.join(before, m, at(g.now));
    assert.deepEqual(refused.result, { ok: false, code: 'session_refused' });
    assert.equal(refused.state, before);
    assert.deepEqual(refused.feed, []);
    assert.deepEqual(rules.join(before, { ...m, member: 'y', sid: 'sid-a' }, at(g.now)).result, {
      ok: false,
      code: 'session_in_use',
    });
    for (const id of ['b', 'c', 'd', 'e']) g.join(id);
    assert.deepEqual(g.join('f'), { ok: false, code: 'group_full' });
  });

  it('a KeyPackage makes the oldest connected member the committer, in batches', () => {
    const g = new Group();
    g.join('a');
    for (const id of ['b', 'c', 'd']) g.join(id);
    for (const id of ['b', 'c', 'd']) g.keyPackage(id);
    const [first] = g.requests();
    assert.deepEqual(first, {
      type: 'req',
      to: 'a',
      epoch: 0,
      deadline: 500,
      adds: [{ member: 'b', kp: 'kp-b' }],
      removes: [],
    });
    // The request in force is not repeated before its deadline.
    assert.equal(g.requests().length, 1);
    assert.deepEqual(g.keyPackage('x'), { ok: false, code: 'unknown_member' });
    assert.deepEqual(g.keyPackage('a'), { ok: false, code: 'not_pending' });
  });

  it('pending KeyPackages beyond the limit are refused', () => {
    const g = new Group();
    for (const id of ['a', 'b', 'c', 'd', 'e']) g.join(id);
    for (const id of ['b', 'c', 'd']) assert.deepEqual(g.keyPackage(id), { ok: true });
    assert.deepEqual(g.keyPackage('e'), { ok: false, code: 'too_many_pending' });
    // Replacing one's own KeyPackage is not a new one.
    assert.deepEqual(g.keyPackage('b'), { ok: true });
  });

  it('one commit per epoch: later ones on the same epoch are stale', () => {
    const g = Group.ofTwo();
    assert.deepEqual(g.commit('b', 1), { ok: true, seq: 2, epoch: 2 });
    assert.deepEqual(g.commit('a', 1), { ok: false, code: 'stale_epoch', epoch: 2 });
    assert.deepEqual(g.commit('x', 2), { ok: false, code: 'not_member' });
  });

  it('a commit that re-adds a member or removes its own committer is invalid', () => {
    const g = Group.ofTwo();
    assert.deepEqual(g.commit('a', 1, { adds: [{ member: 'b', leaf: 2 }] }), {
      ok: false,
      code: 'invalid_commit',
    });
    assert.deepEqual(g.commit('a', 1, { removes: ['a'] }), { ok: false, code: 'invalid_commit' });
  });

  it('a commit with a Welcome carries the member on every leaf once applied', () => {
    const g = Group.ofTwo();
    const [entry] = g.log;
    assert.deepEqual(entry, {
      type: 'commit',
      seq: 1,
      from: 'a',
      epoch: 0,
      commit: 'c0',
      welcome: 'w',
      adds: [{ member: 'b', leaf: 1 }],
      removes: [],
      members: [
        { member: 'a', leaf: 0 },
        { member: 'b', leaf: 1 },
      ],
    });
  });

  it('a joiner that vanished after being added is removed by the next commit', () => {
    const g = new Group();
    g.join('a');
    g.commit('a', 0, { adds: [{ member: 'ghost', leaf: 1 }], welcome: 'w' });
    assert.deepEqual(g.requests().at(-1)?.removes, [{ member: 'ghost', leaf: 1 }]);
  });

  it('a committer silent past its deadline moves to the back; a disconnected one is skipped', () => {
    const g = Group.ofTwo();
    g.join('c');
    g.keyPackage('c');
    assert.equal(g.requests().at(-1)?.to, 'a');
    g.now += 499;
    g.run((s, ctx) => rules.maintain(s, [], ctx));
    assert.equal(g.requests().at(-1)?.to, 'a', 'the deadline has not passed');
    g.now += 2;
    g.run((s, ctx) => rules.maintain(s, ['a', 'b', 'c'], ctx));
    assert.equal(g.requests().at(-1)?.to, 'b');
    g.run((s, ctx) => rules.disconnect(s, 'b', 'c-b', ctx));
    assert.equal(g.requests().at(-1)?.to, 'a', 'b dropped, so a is asked again');
  });

  it('a member that leaves is handed to the committer with its leaf; its Remove forgets it', () => {
    const g = Group.ofTwo();
    assert.deepEqual(
      g.run((s, ctx) => rules.leave(s, 'b', ctx)),
      { purged: false },
    );
    assert.deepEqual(g.requests().at(-1)?.removes, [{ member: 'b', leaf: 1 }]);
    g.commit('a', 1, { removes: ['b'] });
    assert.equal(g.state?.sessions.b, undefined);
    assert.ok(
      !g.feed.some((m) => m.type === 'close' && m.to === 'b'),
      'a member that left is not closed again',
    );
  });

  it('a silent session expires after the resume grace, and the last one deletes the group', () => {
    const g = Group.ofTwo();
    g.now += 1001;
    g.run((s, ctx) => rules.maintain(s, ['a'], ctx));
    assert.equal(g.state?.sessions.b?.state, 'leaving');
    g.now += 1001;
    assert.deepEqual(
      g.run((s, ctx) => rules.maintain(s, [], ctx)),
      { purged: true, unknown: [] },
    );
    assert.equal(g.state, undefined);
    assert.deepEqual(g.feed.at(-1), { type: 'purged' });
    assert.deepEqual(rules.maintain(undefined, ['a'], at(g.now)).result, { purged: true, unknown: ['a'] });
  });

  it('a heartbeat names the connected members the group has no session for', () => {
    const g = Group.ofTwo();
    assert.deepEqual(
      g.run((s, ctx) => rules.maintain(s, ['a', 'b', 'gone'], ctx)),
      { purged: false, unknown: ['gone'] },
    );
  });

  it('when every member left before adding the joiners, the oldest joiner starts the group anew', () => {
    const g = new Group();
    g.join('a');
    g.join('b');
    g.join('c');
    g.run((s, ctx) => rules.leave(s, 'a', ctx));
    assert.deepEqual(g.feed.at(-1), { type: 'create', to: 'b', epoch: 0, seq: 0 });
    assert.equal(g.state?.sessions.a, undefined, 'the old tree is gone');
    assert.equal(g.state?.sessions.b?.state, 'joined');
  });

  it('application messages are sequenced for the current or the previous epoch only', () => {
    const g = Group.ofTwo();
    const app = (epoch: number, member = 'a') =>
      g.run((s, ctx) => rules.appendApplication(s, member, epoch, 'data', ctx));
    assert.deepEqual(app(1), { ok: true, seq: 2 });
    assert.deepEqual(app(0), { ok: true, seq: 3 });
    assert.deepEqual(app(2), { ok: false, code: 'wrong_epoch', epoch: 1 });
    assert.deepEqual(app(1, 'x'), { ok: false, code: 'not_member' });
    assert.deepEqual(g.log.at(-1), { type: 'app', seq: 3, from: 'a', epoch: 0, data: 'data' });
  });

  it('a resume gets the missed events while the buffer holds them, and replaces the old connection', () => {
    const g = Group.ofTwo();
    for (let i = 0; i < 4; i++) g.run((s, ctx) => rules.appendApplication(s, 'a', 1, `m${i}`, ctx));
    const resume = (afterSeq: number, secretHash = 'h-b') =>
      g.run((s, ctx) =>
        rules.resume(s, { member: 'b', connection: 'c2', secretHash, afterSeq }, g.log.slice(-4), ctx),
      );
    const r = resume(3);
    assert.ok(r.ok);
    assert.deepEqual(
      r.events.map((e) => e.seq),
      [4, 5],
    );
    assert.deepEqual(g.feed.at(-1), { type: 'close', to: 'b', code: 'replaced', keep: 'c2' });
    assert.deepEqual(resume(0), { ok: false, code: 'resume_unavailable' }, 'seq 1 fell out of the buffer');
    assert.deepEqual(resume(4, 'h-forged'), { ok: false, code: 'resume_unavailable' });
    assert.equal(missedSince(g.state!, 6, 4), null, 'a reader cannot be ahead of the group');
  });

  it('a kick refuses the token, closes the session and asks for its Remove', () => {
    const g = Group.ofTwo();
    assert.deepEqual(
      g.run((s, ctx) => rules.kick(s, 'b', ctx)),
      { ok: true, sid: 'sid-b' },
    );
    assert.ok(g.state?.refused.includes('sid-b'));
    assert.ok(g.feed.some((m) => m.type === 'close' && m.to === 'b' && m.code === 'kicked'));
    assert.deepEqual(g.requests().at(-1)?.removes, [{ member: 'b', leaf: 1 }]);
    assert.deepEqual(
      g.run((s, ctx) => rules.kick(s, 'b', ctx)),
      { ok: false, code: 'unknown_member' },
    );
  });

  it('a committer refusing KeyPackages drops those joiners only', () => {
    const g = Group.ofTwo();
    g.join('c');
    g.join('d');
    assert.deepEqual(
      g.run((s, ctx) => rules.rejectKeyPackages(s, 'b', ['c', 'a'], ctx)),
      { ok: true },
    );
    assert.equal(g.state?.sessions.c, undefined);
    assert.equal(g.state?.sessions.a?.state, 'joined');
    assert.deepEqual(
      g.run((s, ctx) => rules.rejectKeyPackages(s, 'd', ['b'], ctx)),
      { ok: false, code: 'not_member' },
    );
  });
});
