import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomBytes } from '../bytes.ts';
import { isE2eeError } from '../errors.ts';
import { SFrameKeyStore } from '../sframe/key-store.ts';
import { FrameCryptor } from './frame-cryptor.ts';
import type { WorkerResponse } from './messages.ts';
import {
  createFrameTransformStream,
  type EncodedFrameLike,
  type FrameCryptoWorker,
  installFrameCryptoWorker,
} from './worker.ts';

class FakeFrame implements EncodedFrameLike {
  data: ArrayBuffer;
  readonly #mimeType: string | undefined;
  constructor(bytes: Uint8Array, mimeType?: string) {
    this.data = Uint8Array.from(bytes).buffer;
    this.#mimeType = mimeType;
  }
  getMetadata() {
    return { mimeType: this.#mimeType };
  }
}

async function run(stream: TransformStream<FakeFrame, FakeFrame>, frames: FakeFrame[]): Promise<FakeFrame[]> {
  const out: FakeFrame[] = [];
  const writer = stream.writable.getWriter();
  const reading = (async () => {
    const reader = stream.readable.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) out.push(r.value);
  })();
  for (const frame of frames) await writer.write(frame);
  await writer.close();
  await reading;
  return out;
}

/** A decrypting transform for `receiverId` on legacy streams: write to `input`, read `output`. */
function attachDecrypting(worker: FrameCryptoWorker, codec: string, receiverId: string) {
  const input = new TransformStream<FakeFrame, FakeFrame>();
  const output = new TransformStream<FakeFrame, FakeFrame>();
  worker.handle({
    type: 'attach-streams',
    readable: input.readable,
    writable: output.writable,
    options: { operation: 'decrypt', codec, receiverId },
  });
  return { input, output };
}

function fakeScope() {
  const target = new EventTarget();
  const posted: WorkerResponse[] = [];
  const scope = Object.assign(target, { postMessage: (m: unknown) => posted.push(m as WorkerResponse) });
  return { scope, posted };
}

describe('frame transform stream', () => {
  it('encrypts and decrypts frames in order, using the codec from frame metadata', async () => {
    const baseKey = randomBytes(16);
    const a = new SFrameKeyStore();
    const b = new SFrameKeyStore();
    a.installEpoch({ epoch: 1n, baseKey, groupSize: 2, selfLeafIndex: 0 });
    b.installEpoch({ epoch: 1n, baseKey, groupSize: 2, selfLeafIndex: 1 });
    const frames = [0x50, 0x31, 0x31].map((first) => {
      const bytes = randomBytes(64);
      bytes[0] = first;
      return bytes;
    });
    const encrypted = await run(
      createFrameTransformStream(new FrameCryptor(a), { operation: 'encrypt', context: 'camera' }),
      frames.map((f) => new FakeFrame(f, 'video/VP8')),
    );
    assert.deepEqual(new Uint8Array(encrypted[0]!.data).subarray(0, 10), frames[0]!.subarray(0, 10));
    const decrypted = await run(
      createFrameTransformStream(
        new FrameCryptor(b),
        { operation: 'decrypt', codec: 'vp8' },
        { sender: () => ({ leafIndex: 0, context: 'camera' }) },
      ),
      encrypted.map((f) => new FakeFrame(new Uint8Array(f.data))),
    );
    assert.deepEqual(
      decrypted.map((f) => new Uint8Array(f.data)),
      frames,
    );
  });

  it('drops frames it cannot decrypt and lets the others through', async () => {
    const store = new SFrameKeyStore();
    store.installEpoch({ epoch: 1n, baseKey: randomBytes(16), groupSize: 2, selfLeafIndex: 0 });
    const cryptor = new FrameCryptor(store);
    const [good] = await run(
      createFrameTransformStream(cryptor, { operation: 'encrypt', codec: 'opus', context: 'mic' }),
      [new FakeFrame(Uint8Array.of(0xfc, 1, 2, 3))],
    );
    const forged = new Uint8Array(good!.data.slice(0));
    forged[forged.length - 1]! ^= 1;
    const fromSelf = { sender: () => ({ leafIndex: 0, context: 'mic' as const }) };
    const out = await run(
      createFrameTransformStream(cryptor, { operation: 'decrypt', codec: 'opus' }, fromSelf),
      [new FakeFrame(forged), new FakeFrame(new Uint8Array(good!.data))],
    );
    assert.equal(out.length, 1);
    assert.deepEqual(new Uint8Array(out[0]!.data), Uint8Array.of(0xfc, 1, 2, 3));
    assert.equal(cryptor.stats().decryptFailures.SFRAME_AUTH_FAILED, 1);
  });
});

describe('frame encryption worker', () => {
  it('installs epoch keys from messages and reports stats on request', async () => {
    const { scope, posted } = fakeScope();
    const worker = installFrameCryptoWorker(scope);
    scope.dispatchEvent(
      new MessageEvent('message', {
        data: { type: 'install-epoch', epoch: 9n, baseKey: randomBytes(16), groupSize: 3, selfLeafIndex: 2 },
      }),
    );
    assert.equal(worker.keys.currentEpoch, 9n);
    scope.dispatchEvent(new MessageEvent('message', { data: { type: 'get-stats', requestId: 7 } }));
    assert.deepEqual(posted.at(-1), {
      type: 'stats',
      requestId: 7,
      stats: { encrypted: 0, decrypted: 0, passedEmpty: 0, encryptFailures: {}, decryptFailures: {} },
      receivers: {},
    });
    scope.dispatchEvent(new MessageEvent('message', { data: { type: 'clear-keys' } }));
    assert.equal(worker.keys.currentEpoch, undefined);
  });

  it('refuses an encrypting transform without a media context', () => {
    const cryptor = new FrameCryptor(new SFrameKeyStore());
    assert.throws(
      () => createFrameTransformStream(cryptor, { operation: 'encrypt', codec: 'vp8' }),
      (e) => isE2eeError(e, 'INVALID_ARGUMENT'),
    );
  });

  it('refuses a decrypting transform bound to no receiver', () => {
    const cryptor = new FrameCryptor(new SFrameKeyStore());
    assert.throws(
      () => createFrameTransformStream(cryptor, { operation: 'decrypt', codec: 'vp8' }),
      (e) => isE2eeError(e, 'INVALID_ARGUMENT'),
    );
  });

  it('decrypts on a receiver only frames of the member and source it is bound to, and says so once', async () => {
    const { scope, posted } = fakeScope();
    const worker = installFrameCryptoWorker(scope);
    const baseKey = randomBytes(16);
    worker.handle({ type: 'install-epoch', epoch: 1n, baseKey, groupSize: 4, selfLeafIndex: 3 });
    const alice = new SFrameKeyStore();
    alice.installEpoch({ epoch: 1n, baseKey, groupSize: 4, selfLeafIndex: 1 });
    const fromAlice = async () =>
      new FakeFrame(
        await new FrameCryptor(alice).encryptFrame(Uint8Array.of(0xfc, 7, 7), 'opus', 'mic').then((f) => f!),
      );
    const { input, output } = attachDecrypting(worker, 'opus', 'c1');
    const writer = input.writable.getWriter();
    const reader = output.readable.getReader();
    await writer.write(await fromAlice()); // not bound yet
    worker.handle({ type: 'bind-receiver', receiverId: 'c1', sender: { leafIndex: 2, context: 'mic' } });
    await writer.write(await fromAlice()); // bound to Bob (leaf 2): Alice's frame is refused
    await writer.write(await fromAlice());
    worker.handle({ type: 'bind-receiver', receiverId: 'c1', sender: { leafIndex: 1, context: 'mic' } });
    await writer.write(await fromAlice());
    const { value } = await reader.read();
    assert.deepEqual(new Uint8Array(value!.data), Uint8Array.of(0xfc, 7, 7));
    const stats = worker.cryptor.stats();
    assert.equal(stats.decrypted, 1);
    assert.equal(stats.decryptFailures.SFRAME_UNBOUND_RECEIVER, 1);
    assert.equal(stats.decryptFailures.SFRAME_WRONG_SENDER, 2);
    assert.deepEqual(
      posted.filter((m) => m.type === 'wrong-sender'),
      [{ type: 'wrong-sender', receiverId: 'c1' }],
    );
    // The same counts per receiver, with its binding now; a released receiver is forgotten.
    assert.deepEqual(worker.bindings.stats(), {
      c1: { decrypted: 1, dropped: { SFRAME_UNBOUND_RECEIVER: 1, SFRAME_WRONG_SENDER: 2 }, bound: true },
    });
    worker.handle({ type: 'release-receiver', receiverId: 'c1' });
    assert.deepEqual(worker.bindings.stats(), {});
    scope.dispatchEvent(
      new MessageEvent('message', {
        data: { type: 'bind-receiver', receiverId: 'c1', sender: { leafIndex: -1 } },
      }),
    );
    assert.equal(posted.at(-1)?.type, 'error');
  });

  it('says when a receiver’s stream ended, so a picture that stays black is explained', async () => {
    const { scope } = fakeScope();
    const worker = installFrameCryptoWorker(scope);
    const { input } = attachDecrypting(worker, 'vp8', 'c2');
    assert.deepEqual(worker.bindings.stats(), { c2: { decrypted: 0, dropped: {}, bound: false } });
    await input.writable.getWriter().abort(new Error('receiver gone'));
    await new Promise((r) => setTimeout(r, 0));
    assert.match(worker.bindings.stats()['c2']?.ended ?? '', /receiver gone/);
  });

  it('answers malformed requests with a typed error message instead of throwing', () => {
    const { scope, posted } = fakeScope();
    installFrameCryptoWorker(scope);
    scope.dispatchEvent(
      new MessageEvent('message', { data: { type: 'install-epoch', epoch: 1, baseKey: 'x' } }),
    );
    scope.dispatchEvent(new MessageEvent('message', { data: null }));
    scope.dispatchEvent(
      new MessageEvent('message', {
        data: { type: 'install-epoch', epoch: 1n, baseKey: randomBytes(16), groupSize: 2, sendAfterMs: '10' },
      }),
    );
    assert.deepEqual(
      posted.map((m) => m.type === 'error' && m.code),
      ['INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT'],
    );
  });

  it('encrypts frames of an rtctransform event with the installed keys', async () => {
    const { scope } = fakeScope();
    const worker = installFrameCryptoWorker(scope);
    const baseKey = randomBytes(16);
    worker.handle({ type: 'install-epoch', epoch: 1n, baseKey, groupSize: 2, selfLeafIndex: 0 });
    const input = new TransformStream<FakeFrame, FakeFrame>();
    const output = new TransformStream<FakeFrame, FakeFrame>();
    const event = Object.assign(new Event('rtctransform'), {
      transformer: {
        readable: input.readable,
        writable: output.writable,
        options: { operation: 'encrypt', codec: 'opus', context: 'mic' },
      },
    });
    scope.dispatchEvent(event);
    const writer = input.writable.getWriter();
    await writer.write(new FakeFrame(Uint8Array.of(0xfc, 9, 9, 9)));
    const { value } = await output.readable.getReader().read();
    const receiver = new SFrameKeyStore();
    receiver.installEpoch({ epoch: 1n, baseKey, groupSize: 2 });
    const wire = new Uint8Array(value!.data);
    const out = await receiver.decrypt(wire.subarray(0, 1), wire.subarray(1));
    assert.deepEqual(out.plaintext, Uint8Array.of(9, 9, 9));
    assert.equal(out.context, 0);
  });
});
