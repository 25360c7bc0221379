/**
 * A member's view of the meeting's MLS group. Values in, values out: every operation takes a
 * `MeetingGroup` and returns a new one; nothing here does I/O or keeps timers.
 *
 * Secrets that an operation consumes are zeroed once its result is final, so the input group
 * of a successful call must not be used again. Failed calls leave their input untouched.
 */
import { type ClientState, createGroup, joinGroup, type PskIndex, zeroOutUint8Array } from 'ts-mls';
import { decryptGroupSecrets, decryptGroupInfo } from 'ts-mls/welcome.js';
import { accumulatePskSecret } from 'ts-mls/pskIndex.js';
import { makeKeyPackageRef } from 'ts-mls/keyPackage.js';
import { ratchetTreeFromExtension } from 'ts-mls/groupInfo.js';
import { encodeLeafNodeTBS, type LeafNodeTBS } from 'ts-mls/leafNode.js';
import type { RatchetTree } from 'ts-mls';
import { pskIndexFor, type ResolvedKeys } from './config.ts';
import { bytesEqual, toHex } from './crypto/bytes.ts';
import { getSuite } from './crypto/ciphersuite.ts';
import type { VerifyRequest } from './crypto/ed25519.ts';
import { MlsGroupError, wrapError } from './errors.ts';
import type { Joiner } from './keyPackage.ts';
import { labeledSignContent } from './labels.ts';
import { decodeWelcomeMessage } from './wire.ts';

export interface MeetingGroup {
  /** ts-mls client state (RFC 9420 group state of this member). Treat as opaque. */
  readonly state: ClientState;
  readonly keys: ResolvedKeys;
}

export const GROUP_ID_LENGTH_MAX = 255;

/** The first participant creates the group (epoch 0, one member) with its own KeyPackage. */
export async function createMeetingGroup(joiner: Joiner, groupId: Uint8Array): Promise<MeetingGroup> {
  if (!(groupId instanceof Uint8Array) || groupId.length === 0 || groupId.length > GROUP_ID_LENGTH_MAX) {
    throw new MlsGroupError('invalid-operation', 'groupId must be 1..255 bytes');
  }
  const cs = await getSuite();
  const state = await createGroup(
    groupId,
    joiner.keyPackage,
    joiner.privateKeys,
    [],
    cs,
    joiner.keys.clientConfig,
  );
  return { state, keys: joiner.keys };
}

/** Records whether the joiner was asked for the meeting PSK while opening a Welcome. */
function recordingPskIndex(keys: ResolvedKeys): { index: PskIndex; used: () => boolean } {
  const inner = pskIndexFor(keys, undefined);
  let used = false;
  return {
    index: {
      findPsk(id) {
        if (id.psktype !== 'external') return undefined;
        const psk = inner.findPsk(id);
        if (psk !== undefined && id.pskNonce.length === 32) used = true;
        return psk;
      },
    },
    used: () => used,
  };
}

function leafSignatureRequests(tree: RatchetTree, groupId: Uint8Array): VerifyRequest[] {
  const requests: VerifyRequest[] = [];
  for (let i = 0; i < tree.length; i += 2) {
    const node = tree[i];
    if (node?.nodeType !== 'leaf') continue;
    const leaf = node.leaf;
    const tbs = (
      leaf.leafNodeSource === 'key_package' ? leaf : { ...leaf, groupId, leafIndex: i / 2 }
    ) as LeafNodeTBS;
    requests.push({
      publicKey: leaf.signaturePublicKey,
      message: labeledSignContent('LeafNodeTBS', encodeLeafNodeTBS(tbs)),
      signature: leaf.signature,
    });
  }
  return requests;
}

/**
 * Opens the Welcome far enough to start verifying every leaf signature of the ratchet tree
 * concurrently; ts-mls's `joinGroup` then repeats the whole procedure and picks the results up.
 * Any failure here is left for `joinGroup` to report.
 */
async function prefetchTreeSignatures(joiner: Joiner, welcome: ReturnType<typeof decodeWelcomeMessage>) {
  try {
    const cs = await getSuite();
    const ref = await makeKeyPackageRef(joiner.keyPackage, cs.hash);
    const initKey = await cs.hpke.importPrivateKey(joiner.privateKeys.initPrivateKey);
    const secrets = await decryptGroupSecrets(initKey, ref, welcome, cs.hpke);
    if (secrets === undefined) return;
    const [pskSecret] = await accumulatePskSecret(
      secrets.psks,
      pskIndexFor(joiner.keys, undefined),
      cs,
      new Uint8Array(cs.kdf.size),
    );
    const gi = await decryptGroupInfo(welcome, secrets.joinerSecret, pskSecret, cs);
    if (gi === undefined) return;
    const tree = ratchetTreeFromExtension(gi);
    if (tree === undefined) return;
    cs.signature.prefetch(leafSignatureRequests(tree, gi.groupContext.groupId));
  } catch {
    // joinGroup below produces the authoritative error
  }
}

/** Joins from a Welcome. Fails with `welcome-rejected` without the meeting PSK (wrong password). */
export async function joinFromWelcome(joiner: Joiner, welcomeBytes: Uint8Array): Promise<MeetingGroup> {
  const welcome = decodeWelcomeMessage(welcomeBytes);
  const cs = await getSuite();
  const ownRef = await makeKeyPackageRef(joiner.keyPackage, cs.hash);
  if (!welcome.secrets.some((s) => bytesEqual(s.newMember, ownRef))) {
    throw new MlsGroupError('welcome-rejected', 'Welcome is not addressed to this KeyPackage');
  }
  await prefetchTreeSignatures(joiner, welcome);
  const psk = recordingPskIndex(joiner.keys);
  let state: ClientState;
  try {
    state = await joinGroup(
      welcome,
      joiner.keyPackage,
      joiner.privateKeys,
      psk.index,
      cs,
      undefined,
      undefined,
      joiner.keys.clientConfig,
    );
  } catch (e) {
    throw wrapError('welcome-rejected', 'cannot join from Welcome', e);
  }
  if (!psk.used()) throw new MlsGroupError('welcome-rejected', 'Welcome does not use the meeting PSK');
  return { state, keys: joiner.keys };
}

export interface GroupSummary {
  groupId: Uint8Array;
  epoch: bigint;
  /** Number of members. */
  size: number;
  ownLeafIndex: number;
  /** Leaf indices of all members (including this one), ascending. */
  memberLeafIndices: number[];
  /** False once this member has been removed. */
  active: boolean;
}

export function summarize(group: MeetingGroup): GroupSummary {
  const { state } = group;
  const members = memberLeafIndices(state);
  return {
    groupId: state.groupContext.groupId,
    epoch: state.groupContext.epoch,
    size: members.length,
    ownLeafIndex: state.privatePath.leafIndex,
    memberLeafIndices: members,
    active: state.groupActiveState.kind === 'active',
  };
}

export function memberLeafIndices(state: ClientState): number[] {
  const out: number[] = [];
  const tree = state.ratchetTree;
  for (let i = 0; i < tree.length; i += 2) if (tree[i]?.nodeType === 'leaf') out.push(i / 2);
  return out;
}

/**
 * The leaf index of the member holding each signature public key (undefined if none does). Costs
 * one pass over the tree, so callers skip it when a commit added nobody.
 */
export function leafIndicesOfSignatureKeys(state: ClientState, keys: Uint8Array[]): (number | undefined)[] {
  if (keys.length === 0) return [];
  const byKey = new Map<string, number>();
  const tree = state.ratchetTree;
  for (let i = 0; i < tree.length; i += 2) {
    const node = tree[i];
    if (node?.nodeType === 'leaf') byKey.set(toHex(node.leaf.signaturePublicKey), i / 2);
  }
  return keys.map((key) => byKey.get(toHex(key)));
}

export function signatureKeysOf(state: ClientState): Set<string> {
  const keys = new Set<string>();
  for (const node of state.ratchetTree)
    if (node?.nodeType === 'leaf') keys.add(toHex(node.leaf.signaturePublicKey));
  return keys;
}

/** Zeroes secrets that the returned state no longer references. */
export function zeroAll(consumed: Uint8Array[]): void {
  for (const c of consumed) zeroOutUint8Array(c);
}
