/**
 * Commits by this member: batched Adds (always with the meeting PSK), Removes, self-updates.
 *
 * The delivery service accepts one commit per epoch. Until it has accepted ours, the group we
 * started from stays valid and untouched: if another member's commit wins, process it with
 * `receiveMessage` on that same group and commit again from the result (re-base). Only
 * `acceptCommit` makes the new epoch ours and zeroes what the old epoch no longer needs.
 */
import { type ClientState, createCommit, type KeyPackage, type Proposal } from 'ts-mls';
import { pskIndexFor } from './config.ts';
import { getSuite } from './crypto/ciphersuite.ts';
import { MlsGroupError, wrapError } from './errors.ts';
import {
  leafIndicesOfSignatureKeys,
  memberLeafIndices,
  type MeetingGroup,
  signatureKeysOf,
  zeroAll,
} from './group.ts';
import { type RefusedKeyPackage, screenKeyPackages } from './keyPackage.ts';
import { encodePrivateMessage, encodeWelcomeMessage } from './wire.ts';

export interface CommitRequest {
  /** KeyPackages (MLSMessage bytes) of joiners to add in this one commit. */
  add?: Uint8Array[];
  /** Leaf indices of members to remove. */
  remove?: number[];
}

export interface PendingCommit {
  /** The commit (MLSMessage, PrivateMessage) for the delivery service. */
  readonly commit: Uint8Array;
  /** Welcome (MLSMessage) for every added joiner, if any were added. */
  readonly welcome?: Uint8Array;
  /** Epoch the commit was made in; the delivery service accepts one commit per epoch. */
  readonly epoch: bigint;
  /** Leaf indices the added joiners get, in the order of `addedFrom`. */
  readonly added: number[];
  /** Positions (in `request.add`) of the KeyPackages that were added. */
  readonly addedFrom: number[];
  readonly removed: number[];
  /** KeyPackages left out of the commit, with why. */
  readonly refused: RefusedKeyPackage[];
  /** The group as it will be once the delivery service accepted this commit. */
  readonly next: MeetingGroup;
  /** Secrets of the current epoch to zero on acceptance (never before: the commit may lose). */
  readonly consumed: Uint8Array[];
}

function pskProposal(group: MeetingGroup): Proposal {
  return {
    proposalType: 'psk',
    psk: {
      preSharedKeyId: {
        psktype: 'external',
        pskId: group.keys.pskId,
        pskNonce: crypto.getRandomValues(new Uint8Array(32)),
      },
    },
  };
}

function checkActive(state: ClientState): void {
  if (state.groupActiveState.kind !== 'active')
    throw new MlsGroupError('not-member', 'not a member of this group');
}

/**
 * One commit carrying all requested changes. With no Adds and no Removes this is a self-update
 * (empty proposal list, so it carries an UpdatePath: fresh keys on this member's path).
 */
export async function createMeetingCommit(
  group: MeetingGroup,
  request: CommitRequest = {},
): Promise<PendingCommit> {
  const { state } = group;
  checkActive(state);
  const addBytes = request.add ?? [];
  const removeLeaves = [...new Set(request.remove ?? [])];
  const members = new Set(memberLeafIndices(state));
  for (const leaf of removeLeaves) {
    if (!Number.isInteger(leaf) || !members.has(leaf)) {
      throw new MlsGroupError('invalid-operation', `leaf ${leaf} is not a member`);
    }
    if (leaf === state.privatePath.leafIndex) {
      throw new MlsGroupError(
        'invalid-operation',
        'a member cannot remove itself; another member commits the Remove',
      );
    }
  }

  let toAdd: KeyPackage[] = [];
  let addedFrom: number[] = [];
  let refused: RefusedKeyPackage[] = [];
  if (addBytes.length > 0) {
    const screened = await screenKeyPackages(group.keys, addBytes, signatureKeysOf(state));
    toAdd = screened.accepted;
    addedFrom = screened.acceptedIndices;
    refused = screened.refused;
    if (toAdd.length === 0 && removeLeaves.length === 0) {
      throw new MlsGroupError(refused[0]?.code ?? 'invalid-operation', 'no KeyPackage can be added', {
        cause: refused,
      });
    }
  }

  const proposals: Proposal[] = [
    ...removeLeaves.map((removed): Proposal => ({ proposalType: 'remove', remove: { removed } })),
    ...toAdd.map((keyPackage): Proposal => ({ proposalType: 'add', add: { keyPackage } })),
  ];
  if (toAdd.length > 0) proposals.push(pskProposal(group));

  const cs = await getSuite();
  let result: Awaited<ReturnType<typeof createCommit>>;
  try {
    result = await createCommit(
      { state, cipherSuite: cs, pskIndex: pskIndexFor(group.keys, state) },
      { extraProposals: proposals, ratchetTreeExtension: true },
    );
  } catch (e) {
    throw wrapError('invalid-operation', 'cannot create commit', e);
  }
  if (result.commit.wireformat !== 'mls_private_message') {
    throw new MlsGroupError('invalid-operation', 'commit was not framed as a PrivateMessage');
  }
  const added = leafIndicesOfSignatureKeys(
    result.newState,
    toAdd.map((kp) => kp.leafNode.signaturePublicKey),
  ) as number[];
  return {
    commit: encodePrivateMessage(result.commit.privateMessage),
    welcome: result.welcome === undefined ? undefined : encodeWelcomeMessage(result.welcome),
    epoch: state.groupContext.epoch,
    added,
    addedFrom,
    removed: removeLeaves.sort((a, b) => a - b),
    refused,
    next: { state: result.newState, keys: group.keys },
    consumed: result.consumed,
  };
}

export const commitAdd = (group: MeetingGroup, keyPackages: Uint8Array[]) =>
  createMeetingCommit(group, { add: keyPackages });

export const commitRemove = (group: MeetingGroup, leafIndices: number[]) =>
  createMeetingCommit(group, { remove: leafIndices });

export const commitUpdate = (group: MeetingGroup) => createMeetingCommit(group, {});

/** The delivery service accepted our commit: the new epoch becomes current. */
export function acceptCommit(pending: PendingCommit): MeetingGroup {
  zeroAll(pending.consumed);
  return pending.next;
}
