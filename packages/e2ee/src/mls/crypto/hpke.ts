/**
 * RFC 9180 HPKE, base mode only, for DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-128-GCM
 * (the HPKE half of MLS suite 0x0001), shaped as ts-mls's `Hpke` interface.
 *
 * ts-mls types its keys as CryptoKey; here they are small objects (raw bytes plus an optional
 * native handle), which ts-mls only ever passes back to this module.
 */
import type { Hpke, PrivateKey, PublicKey } from 'ts-mls';
import { concatBytes, publicBytesEqual, utf8 } from './bytes.ts';
import { aesGcmDecrypt, aesGcmEncrypt, expand, extract } from './symmetric.ts';
import {
  privateFromSecret,
  publicFromBytes,
  type X25519Backend,
  type X25519PrivateKey,
  type X25519PublicKey,
} from './x25519.ts';

const KEM_ID = 0x0020;
const KDF_ID = 0x0001;
const AEAD_ID = 0x0001;
const NK = 16;
const NN = 12;
const NH = 32;

const i2osp2 = (n: number): Uint8Array => new Uint8Array([n >> 8, n & 0xff]);
const HPKE_V1 = utf8('HPKE-v1');
const KEM_SUITE = concatBytes(utf8('KEM'), i2osp2(KEM_ID));
const HPKE_SUITE = concatBytes(utf8('HPKE'), i2osp2(KEM_ID), i2osp2(KDF_ID), i2osp2(AEAD_ID));
const EMPTY = new Uint8Array(0);

function labeledExtract(suite: Uint8Array, salt: Uint8Array, label: string, ikm: Uint8Array): Uint8Array {
  return extract(salt, concatBytes(HPKE_V1, suite, utf8(label), ikm));
}

function labeledExpand(suite: Uint8Array, prk: Uint8Array, label: string, info: Uint8Array, length: number) {
  return expand(prk, concatBytes(i2osp2(length), HPKE_V1, suite, utf8(label), info), length);
}

// Base mode has no PSK: psk_id_hash is a constant.
const PSK_ID_HASH = labeledExtract(HPKE_SUITE, EMPTY, 'psk_id_hash', EMPTY);

function sharedSecret(dh: Uint8Array, enc: Uint8Array, pkR: Uint8Array): Uint8Array {
  const prk = labeledExtract(KEM_SUITE, EMPTY, 'eae_prk', dh);
  return labeledExpand(KEM_SUITE, prk, 'shared_secret', concatBytes(enc, pkR), NH);
}

interface Context {
  key: Uint8Array;
  baseNonce: Uint8Array;
  exporterSecret: Uint8Array;
}

// MLS uses the encrypted GroupInfo (the whole ratchet tree, ~200 KB at 1000 members) as the
// HPKE info of every joiner's group secrets; hash it once per Welcome, not once per joiner.
const LARGE_INFO = 1024;
let lastLargeInfo: { info: Uint8Array; hash: Uint8Array } | undefined;

function hashInfo(info: Uint8Array): Uint8Array {
  if (info.length < LARGE_INFO) return labeledExtract(HPKE_SUITE, EMPTY, 'info_hash', info);
  if (lastLargeInfo !== undefined && publicBytesEqual(lastLargeInfo.info, info)) return lastLargeInfo.hash;
  const hash = labeledExtract(HPKE_SUITE, EMPTY, 'info_hash', info);
  lastLargeInfo = { info: info.slice(), hash };
  return hash;
}

function keySchedule(shared: Uint8Array, info: Uint8Array): Context {
  const infoHash = hashInfo(info);
  const ctx = concatBytes(new Uint8Array([0x00]), PSK_ID_HASH, infoHash);
  const secret = labeledExtract(HPKE_SUITE, shared, 'secret', EMPTY);
  return {
    key: labeledExpand(HPKE_SUITE, secret, 'key', ctx, NK),
    baseNonce: labeledExpand(HPKE_SUITE, secret, 'base_nonce', ctx, NN),
    exporterSecret: labeledExpand(HPKE_SUITE, secret, 'exp', ctx, NH),
  };
}

const asPriv = (k: PrivateKey): X25519PrivateKey => k as unknown as X25519PrivateKey;
const asPub = (k: PublicKey): X25519PublicKey => k as unknown as X25519PublicKey;
const wrapPriv = (k: X25519PrivateKey): PrivateKey => k as unknown as PrivateKey;
const wrapPub = (k: X25519PublicKey): PublicKey => k as unknown as PublicKey;

export function makeHpke(x: X25519Backend): Hpke {
  async function encap(pkR: Uint8Array): Promise<{ shared: Uint8Array; enc: Uint8Array }> {
    const eph = await x.generate();
    const enc = await x.publicOf(eph);
    const dh = await x.dh(eph, pkR);
    return { shared: sharedSecret(dh, enc, pkR), enc };
  }

  async function decap(enc: Uint8Array, skR: X25519PrivateKey): Promise<Uint8Array> {
    if (enc.length !== 32) throw new Error('HPKE: bad encapsulated key length');
    const dh = await x.dh(skR, enc);
    return sharedSecret(dh, enc, await x.publicOf(skR));
  }

  return {
    async seal(publicKey, plaintext, info, aad) {
      const { shared, enc } = await encap(asPub(publicKey).pk);
      const ctx = keySchedule(shared, info);
      const ct = await aesGcmEncrypt(ctx.key, ctx.baseNonce, aad ?? EMPTY, plaintext);
      return { ct, enc };
    },
    async open(privateKey, kemOutput, ciphertext, info, aad) {
      const shared = await decap(kemOutput, asPriv(privateKey));
      const ctx = keySchedule(shared, info);
      return aesGcmDecrypt(ctx.key, ctx.baseNonce, aad ?? EMPTY, ciphertext);
    },
    async exportSecret(publicKey, exporterContext, length, info) {
      const { shared, enc } = await encap(asPub(publicKey).pk);
      const ctx = keySchedule(shared, info);
      return { enc, secret: labeledExpand(HPKE_SUITE, ctx.exporterSecret, 'sec', exporterContext, length) };
    },
    async importSecret(privateKey, exporterContext, kemOutput, length, info) {
      const shared = await decap(kemOutput, asPriv(privateKey));
      const ctx = keySchedule(shared, info);
      return labeledExpand(HPKE_SUITE, ctx.exporterSecret, 'sec', exporterContext, length);
    },
    async importPrivateKey(k) {
      return wrapPriv(privateFromSecret(k));
    },
    async importPublicKey(k) {
      return wrapPub(publicFromBytes(k));
    },
    async exportPublicKey(k) {
      return asPub(k).pk;
    },
    async exportPrivateKey(k) {
      return x.secretOf(asPriv(k));
    },
    async encryptAead(key, nonce, aad, plaintext) {
      return aesGcmEncrypt(key, nonce, aad ?? EMPTY, plaintext);
    },
    async decryptAead(key, nonce, aad, ciphertext) {
      return aesGcmDecrypt(key, nonce, aad ?? EMPTY, ciphertext);
    },
    async deriveKeyPair(ikm) {
      const prk = labeledExtract(KEM_SUITE, EMPTY, 'dkp_prk', ikm);
      const priv = privateFromSecret(labeledExpand(KEM_SUITE, prk, 'sk', EMPTY, 32));
      const pk = await x.publicOf(priv);
      return { privateKey: wrapPriv(priv), publicKey: wrapPub(publicFromBytes(pk)) };
    },
    async generateKeyPair() {
      const priv = await x.generate();
      const pk = await x.publicOf(priv);
      return { privateKey: wrapPriv(priv), publicKey: wrapPub(publicFromBytes(pk)) };
    },
    keyLength: NK,
    nonceLength: NN,
  };
}
