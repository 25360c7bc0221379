/** Everything a member receives from the delivery service: commits and application messages. */
import { type ClientState, processPrivateMessage, type PrivateMessage } from 'ts-mls';
import { unprotectPrivateMessage } from 'ts-mls/messageProtection.js';
import { pskIndexFor } from './config.ts';
import { bytesEqual } from './crypto/bytes.ts';
import { getSuite } from './crypto/ciphersuite.ts';
import { DecryptError } from './crypto/symmetric.ts';
import { MlsGroupError } from './errors.ts';
import { type AppMessage, decodeAppMessage } from './application.ts';
import { leafIndicesOfSignatureKeys, type MeetingGroup, zeroAll } from './group.ts';
import { type CommitPolicyOutcome, meetingCommitPolicy } from './policy.ts';
import { decodeMessage } from './wire.ts';

export type Received =
  | {
      kind: 'commit';
      group: MeetingGroup;
      /** The new epoch. */
      epoch: bigint;
      committer: number;
      added: number[];
      removed: number[];
    }
  | {
      /** A commit removed this member: no further epochs can be followed. */
      kind: 'removed';
      group: MeetingGroup;
      committer: number;
    }
  | {
      kind: 'application';
      group: MeetingGroup;
      /** Epoch the message was sent in (may be the previous one). */
      epoch: bigint;
      /** Leaf index of the authenticated sender. */
      sender: number;
      message: AppMessage;
    };

/**
 * Processes one message from the delivery service. Commits for another epoch than the group's
 * fail with `wrong-epoch`; commits breaking meeting policy with `commit-rejected`. On any error
 * the input group is unchanged and still usable.
 */
export async function receiveMessage(group: MeetingGroup, bytes: Uint8Array): Promise<Received> {
  const msg = decodeMessage(bytes);
  if (msg.wireformat === 'mls_public_message') {
    throw new MlsGroupError('commit-rejected', 'handshake messages must be PrivateMessages in meetings');
  }
  if (msg.wireformat !== 'mls_private_message') {
    throw new MlsGroupError('malformed', `unexpected ${msg.wireformat} from the delivery service`);
  }
  const pm = msg.privateMessage;
  const { state } = group;
  if (!bytesEqual(pm.groupId, state.groupContext.groupId)) {
    throw new MlsGroupError('wrong-group', 'message belongs to another group');
  }
  if (state.groupActiveState.kind === 'removedFromGroup' && pm.epoch > state.groupContext.epoch) {
    throw new MlsGroupError('not-member', 'removed from the group');
  }
  switch (pm.contentType) {
    case 'application':
      return receiveApplication(group, pm);
    case 'commit':
      return receiveCommit(group, pm);
    case 'proposal':
      throw new MlsGroupError('commit-rejected', 'standalone proposals are not used in meetings');
  }
}

async function receiveCommit(group: MeetingGroup, pm: PrivateMessage): Promise<Received> {
  const { state, keys } = group;
  if (pm.epoch !== state.groupContext.epoch) {
    throw new MlsGroupError(
      'wrong-epoch',
      `commit for epoch ${pm.epoch}, group is at epoch ${state.groupContext.epoch}`,
    );
  }
  const cs = await getSuite();
  const policy = meetingCommitPolicy(keys);
  let result: Awaited<ReturnType<typeof processPrivateMessage>>;
  try {
    // processMessage() would drop the PSK index for PrivateMessages (ts-mls 1.6.4).
    result = await processPrivateMessage(state, pm, pskIndexFor(keys, state), cs, policy.callback);
  } catch (e) {
    const removed = removedDespiteError(group, policy.result());
    if (removed !== undefined) return removed;
    throw commitError(e);
  }
  const outcome = policy.result();
  if (result.kind !== 'newState' || outcome === undefined) {
    throw new MlsGroupError('commit-rejected', 'message is not a commit');
  }
  if (result.actionTaken === 'reject') {
    throw new MlsGroupError('commit-rejected', outcome.rejection ?? 'rejected by meeting policy');
  }
  const next: MeetingGroup = { state: result.newState, keys };
  const committer = outcome.committer ?? -1;
  zeroAll(result.consumed);
  if (result.newState.groupActiveState.kind === 'removedFromGroup') {
    return { kind: 'removed', group: next, committer };
  }
  const addedKeys = outcome.adds.flatMap((p) =>
    p.proposal.proposalType === 'add' ? [p.proposal.add.keyPackage.leafNode.signaturePublicKey] : [],
  );
  const added = leafIndicesOfSignatureKeys(result.newState, addedKeys).filter(
    (i): i is number => i !== undefined,
  );
  return {
    kind: 'commit',
    group: next,
    epoch: result.newState.groupContext.epoch,
    committer,
    added,
    removed: [...outcome.removes].sort((a, b) => a - b),
  };
}

/**
 * ts-mls 1.6.4 notices that a commit removed this member only when the member's leaf is blank
 * afterwards. When the same commit adds a joiner into the freed leaf, it goes on to apply the
 * UpdatePath, which this member cannot decrypt, and fails. The commit had been authenticated and
 * its proposals validated by then (the policy saw them), so the removal stands.
 */
function removedDespiteError(
  group: MeetingGroup,
  seen: CommitPolicyOutcome | undefined,
): Received | undefined {
  const { state, keys } = group;
  if (seen === undefined || seen.rejection !== undefined) return undefined;
  if (!seen.removes.includes(state.privatePath.leafIndex)) return undefined;
  return {
    kind: 'removed',
    group: { state: { ...state, groupActiveState: { kind: 'removedFromGroup' } }, keys },
    committer: seen.committer ?? -1,
  };
}

function commitError(e: unknown): MlsGroupError {
  if (e instanceof MlsGroupError) return e;
  if (e instanceof DecryptError)
    return new MlsGroupError('decrypt-failed', 'cannot decrypt commit', { cause: e });
  const detail = e instanceof Error ? e.message : String(e);
  return new MlsGroupError('commit-rejected', `invalid commit: ${detail}`, { cause: e });
}

async function receiveApplication(group: MeetingGroup, pm: PrivateMessage): Promise<Received> {
  const { state, keys } = group;
  const cs = await getSuite();
  const current = state.groupContext.epoch;
  const epochData =
    pm.epoch === current
      ? {
          senderDataSecret: state.keySchedule.senderDataSecret,
          secretTree: state.secretTree,
          ratchetTree: state.ratchetTree,
          groupContext: state.groupContext,
        }
      : pm.epoch < current
        ? state.historicalReceiverData.get(pm.epoch)
        : undefined;
  if (epochData === undefined) {
    throw new MlsGroupError('wrong-epoch', `no keys for epoch ${pm.epoch} (group is at epoch ${current})`);
  }
  let opened: Awaited<ReturnType<typeof unprotectPrivateMessage>>;
  try {
    opened = await unprotectPrivateMessage(
      epochData.senderDataSecret,
      pm,
      epochData.secretTree,
      epochData.ratchetTree,
      epochData.groupContext,
      state.clientConfig.keyRetentionConfig,
      cs,
    );
  } catch (e) {
    throw new MlsGroupError('decrypt-failed', 'cannot open application message', { cause: e });
  }
  const content = opened.content.content;
  if (content.contentType !== 'application' || content.sender.senderType !== 'member') {
    throw new MlsGroupError('decrypt-failed', 'not an application message from a member');
  }
  const message = decodeAppMessage(content.applicationData);
  const newState: ClientState =
    pm.epoch === current
      ? { ...state, secretTree: opened.tree }
      : {
          ...state,
          historicalReceiverData: new Map(state.historicalReceiverData).set(pm.epoch, {
            ...state.historicalReceiverData.get(pm.epoch)!,
            secretTree: opened.tree,
          }),
        };
  zeroAll(opened.consumed);
  return {
    kind: 'application',
    group: { state: newState, keys },
    epoch: pm.epoch,
    sender: content.sender.leafIndex,
    message,
  };
}
