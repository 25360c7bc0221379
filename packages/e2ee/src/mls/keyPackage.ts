/**
 * Joiners' KeyPackages: creation with a password-bound credential, and the committer-side
 * screening that refuses forged or unusable ones before they can abort a batched commit.
 */
import { generateKeyPackageWithKey, type KeyPackage, type Lifetime, type PrivateKeyPackage } from 'ts-mls';
import { encodeKeyPackageTBS } from 'ts-mls/keyPackage.js';
import { encodeLeafNodeTBS } from 'ts-mls/leafNode.js';
import type { LeafNodeTBS } from 'ts-mls/leafNode.js';
import { type MeetingKeys, MEETING_CAPABILITIES, type ResolvedKeys, resolveKeys } from './config.ts';
import { credentialIsBound, makeIdentity } from './credential.ts';
import { bytesEqual, toHex } from './crypto/bytes.ts';
import { getSuite, SUITE_NAME } from './crypto/ciphersuite.ts';
import type { VerifyRequest } from './crypto/ed25519.ts';
import { wrapError } from './errors.ts';
import { labeledSignContent } from './labels.ts';
import { decodeKeyPackageMessage, encodeKeyPackageMessage } from './wire.ts';

/** A client that published a KeyPackage and waits for a Welcome (or creates the group). */
export interface Joiner {
  readonly keys: ResolvedKeys;
  readonly keyPackage: KeyPackage;
  readonly privateKeys: PrivateKeyPackage;
  /** The KeyPackage as an MLSMessage, for the delivery service. */
  readonly keyPackageBytes: Uint8Array;
}

/**
 * A KeyPackage is made afresh for every connection to the delivery service and used within
 * seconds; a longer life would only let a malicious DS re-add a departed member's leaf from a
 * KeyPackage it kept. Committers refuse expired ones (screenKeyPackages).
 */
const KEY_PACKAGE_VALIDITY_SECONDS = 15n * 60n;
const CLOCK_SKEW_SECONDS = 3600n;

function lifetimeFromNow(): Lifetime {
  const now = BigInt(Math.floor(Date.now() / 1000));
  return { notBefore: now - CLOCK_SKEW_SECONDS, notAfter: now + KEY_PACKAGE_VALIDITY_SECONDS };
}

export async function createJoiner(meetingKeys: MeetingKeys): Promise<Joiner> {
  const keys = resolveKeys(meetingKeys);
  const cs = await getSuite();
  const signatureKeyPair = await cs.signature.keygen();
  const credential = {
    credentialType: 'basic' as const,
    identity: makeIdentity(keys.credKey, signatureKeyPair.publicKey),
  };
  const { publicPackage, privatePackage } = await generateKeyPackageWithKey(
    credential,
    MEETING_CAPABILITIES,
    lifetimeFromNow(),
    [],
    signatureKeyPair,
    cs,
  );
  return {
    keys,
    keyPackage: publicPackage,
    privateKeys: privatePackage,
    keyPackageBytes: encodeKeyPackageMessage(publicPackage),
  };
}

export interface RefusedKeyPackage {
  /** Position in the list handed to the commit call. */
  index: number;
  code: 'malformed' | 'credential-invalid';
  reason: string;
}

export interface ScreenedKeyPackages {
  accepted: KeyPackage[];
  /** Original positions of `accepted`. */
  acceptedIndices: number[];
  refused: RefusedKeyPackage[];
}

function staticProblem(
  keys: ResolvedKeys,
  kp: KeyPackage,
  now: bigint,
  seenSignatureKeys: Set<string>,
  seenHpkeKeys: Set<string>,
): Omit<RefusedKeyPackage, 'index'> | undefined {
  const leaf = kp.leafNode;
  if (kp.version !== 'mls10' || kp.cipherSuite !== SUITE_NAME) {
    return { code: 'malformed', reason: 'wrong version or suite' };
  }
  if (leaf.leafNodeSource !== 'key_package')
    return { code: 'malformed', reason: 'leaf is not from a KeyPackage' };
  if (!credentialIsBound(keys.credKey, leaf.credential, leaf.signaturePublicKey)) {
    return { code: 'credential-invalid', reason: 'credential is not bound to the meeting password' };
  }
  if (leaf.lifetime.notBefore > now || leaf.lifetime.notAfter < now)
    return { code: 'malformed', reason: 'expired' };
  if (bytesEqual(kp.initKey, leaf.hpkePublicKey))
    return { code: 'malformed', reason: 'init key equals leaf key' };
  const sigKey = toHex(leaf.signaturePublicKey);
  const hpkeKey = toHex(leaf.hpkePublicKey);
  if (seenSignatureKeys.has(sigKey) || seenHpkeKeys.has(hpkeKey))
    return { code: 'malformed', reason: 'duplicate client' };
  seenSignatureKeys.add(sigKey);
  seenHpkeKeys.add(hpkeKey);
  return undefined;
}

function signatureRequests(kp: KeyPackage): VerifyRequest[] {
  const pk = kp.leafNode.signaturePublicKey;
  return [
    {
      publicKey: pk,
      message: labeledSignContent('LeafNodeTBS', encodeLeafNodeTBS(kp.leafNode as LeafNodeTBS)),
      signature: kp.leafNode.signature,
    },
    {
      publicKey: pk,
      message: labeledSignContent('KeyPackageTBS', encodeKeyPackageTBS(kp)),
      signature: kp.signature,
    },
  ];
}

/**
 * Decodes and checks KeyPackages: suite, credential HMAC, lifetime, distinct keys, signatures,
 * not already a member. ts-mls repeats these checks inside the commit; the point here is to drop
 * one bad package instead of failing the whole batch. Signatures are verified concurrently and
 * the results are reused by ts-mls's own (sequential) checks.
 */
export async function screenKeyPackages(
  keys: ResolvedKeys,
  packages: Uint8Array[],
  memberSignatureKeys: Set<string>,
): Promise<ScreenedKeyPackages> {
  const cs = await getSuite();
  const refused: RefusedKeyPackage[] = [];
  const candidates: { index: number; kp: KeyPackage }[] = [];
  const seen = new Set(memberSignatureKeys);
  const seenHpke = new Set<string>();
  const now = BigInt(Math.floor(Date.now() / 1000));
  packages.forEach((bytes, index) => {
    let kp: KeyPackage;
    try {
      kp = decodeKeyPackageMessage(bytes);
    } catch (e) {
      refused.push({ index, code: 'malformed', reason: wrapError('malformed', 'KeyPackage', e).message });
      return;
    }
    const problem = staticProblem(keys, kp, now, seen, seenHpke);
    if (problem !== undefined) refused.push({ index, ...problem });
    else candidates.push({ index, kp });
  });
  const checks = cs.signature.prefetch(candidates.flatMap(({ kp }) => signatureRequests(kp)));
  const results = await Promise.all(checks);
  const accepted: KeyPackage[] = [];
  const acceptedIndices: number[] = [];
  candidates.forEach(({ index, kp }, i) => {
    if (results[2 * i] && results[2 * i + 1]) {
      accepted.push(kp);
      acceptedIndices.push(index);
    } else {
      refused.push({ index, code: 'credential-invalid', reason: 'bad KeyPackage signature' });
    }
  });
  refused.sort((a, b) => a.index - b.index);
  return { accepted, acceptedIndices, refused };
}
