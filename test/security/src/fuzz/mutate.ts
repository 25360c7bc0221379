/** Seeded mutations of JSON messages and bytes, for the WebSocket and MLS fuzzers. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** mulberry32: small, fast and reproducible from FUZZ_SEED. */
export class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

const STRANGE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  'toString',
  '💥🔥'.repeat(50),
  '\u202e\u200b\ufeff',
  '\ud800',
  'a'.repeat(70_000),
  '../../../../etc/passwd',
  '%s%n%x',
  '<script>',
  "'; DROP TABLE meetings; --",
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==',
  '-1',
  '1e309',
];

const STRANGE_NUMBERS = [
  0,
  -0,
  -1,
  1.5,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 63),
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  1e308,
  -1e308,
];

function strangeValue(rng: Rng, depth = 0): Json {
  switch (rng.int(9)) {
    case 0:
      return rng.pick(STRANGE_STRINGS);
    case 1:
      return rng.pick(STRANGE_NUMBERS);
    case 2:
      return rng.chance(0.5);
    case 3:
      return null;
    case 4:
      return depth > 3 ? [] : Array.from({ length: rng.int(4) }, () => strangeValue(rng, depth + 1));
    case 5:
      return depth > 3 ? {} : { [rng.pick(STRANGE_STRINGS).slice(0, 20)]: strangeValue(rng, depth + 1) };
    case 6:
      return Buffer.from(rng.bytes(rng.int(64))).toString('base64');
    case 7: {
      // Deep nesting.
      let v: Json = 1;
      for (let i = 0; i < 200 + rng.int(800); i++) v = [v];
      return v;
    }
    default:
      return rng.int(1000);
  }
}

function clone(value: Json): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

/** One structural mutation of a JSON value (somewhere in its tree). */
export function mutateJson(rng: Rng, input: Json): Json {
  const value = clone(input);
  if (value === null || typeof value !== 'object') return strangeValue(rng);
  const containers: (Json[] | { [key: string]: Json })[] = [];
  const walk = (v: Json) => {
    if (v && typeof v === 'object') {
      containers.push(v);
      for (const child of Array.isArray(v) ? v : Object.values(v)) walk(child);
    }
  };
  walk(value);
  const target = rng.pick(containers);
  const keys = Array.isArray(target) ? target.map((_, i) => String(i)) : Object.keys(target);
  const key = keys.length ? rng.pick(keys) : undefined;
  const get = (k: string) => (Array.isArray(target) ? target[Number(k)] : target[k]);
  const set = (k: string, v: Json) => {
    if (Array.isArray(target)) target[Number(k)] = v;
    else target[k] = v;
  };
  switch (rng.int(8)) {
    case 0: // drop a field
      if (key !== undefined) {
        if (Array.isArray(target)) target.splice(Number(key), 1);
        else delete target[key];
      }
      break;
    case 1: // add a field
      if (Array.isArray(target)) target.push(strangeValue(rng));
      else
        target[
          rng.pick([
            'extra',
            '__proto__',
            'constructor',
            't',
            'type',
            'id',
            rng.pick(STRANGE_STRINGS).slice(0, 12),
          ])
        ] = strangeValue(rng);
      break;
    case 2: // swap the type of a field
      if (key !== undefined) set(key, strangeValue(rng));
      break;
    case 3: // huge or odd number
      if (key !== undefined) set(key, rng.pick(STRANGE_NUMBERS));
      break;
    case 4: // unicode / long strings
      if (key !== undefined) set(key, rng.pick(STRANGE_STRINGS));
      break;
    case 5: // mutate a string field's text
      if (key !== undefined && typeof get(key) === 'string') {
        const s = get(key) as string;
        const at = rng.int(s.length + 1);
        set(
          key,
          rng.chance(0.5)
            ? s.slice(0, at)
            : s.slice(0, at) + rng.pick(STRANGE_STRINGS).slice(0, 8) + s.slice(at),
        );
      } else if (key !== undefined) set(key, strangeValue(rng));
      break;
    case 6: // wrap the whole thing
      return rng.chance(0.5) ? [value] : { data: value };
    default: // duplicate a field under another name
      if (key !== undefined && !Array.isArray(target)) target[`${key}_`] = get(key) ?? null;
      break;
  }
  return value;
}

/** A frame to send: mostly mutated JSON, sometimes broken text or binary. */
export function mutateFrame(rng: Rng, corpus: readonly Json[]): string | Buffer {
  const base = rng.pick(corpus);
  const roll = rng.int(20);
  if (roll === 0) return Buffer.from(rng.bytes(1 + rng.int(512))); // binary frame
  if (roll === 1) return Buffer.from(JSON.stringify(base)); // valid JSON as a binary frame
  let value = base;
  for (let i = 0, n = 1 + rng.int(3); i < n; i++) value = mutateJson(rng, value);
  const text = JSON.stringify(value) ?? 'null';
  if (roll === 2) return text.slice(0, rng.int(text.length)); // truncated
  if (roll === 3) return `${text}${text}`; // two messages glued
  if (roll === 4) return text.replace(/"/g, rng.pick(["'", '', '\\"']));
  return text;
}

/** One byte-level mutation of real MLS bytes. */
export function mutateBytes(rng: Rng, input: Uint8Array): Uint8Array {
  const b = Uint8Array.from(input);
  switch (rng.int(7)) {
    case 0: // flip bits
      for (let i = 0, n = 1 + rng.int(4); i < n && b.length; i++) b[rng.int(b.length)]! ^= 1 << rng.int(8);
      return b;
    case 1: // truncate
      return b.subarray(0, rng.int(b.length));
    case 2: // insert random bytes
      {
        const at = rng.int(b.length + 1);
        return Uint8Array.from([...b.subarray(0, at), ...rng.bytes(1 + rng.int(16)), ...b.subarray(at)]);
      }
    case 3: // overwrite a length-looking byte with a large value
      if (b.length) b[rng.int(Math.min(b.length, 64))] = rng.pick([0x00, 0x7f, 0x80, 0xff]);
      return b;
    case 4: // duplicate a slice
      {
        const from = rng.int(b.length + 1);
        const to = Math.min(b.length, from + rng.int(64));
        return Uint8Array.from([...b.subarray(0, to), ...b.subarray(from, to), ...b.subarray(to)]);
      }
    case 5: // random bytes of the same length
      return rng.bytes(b.length);
    default: {
      // zero a run
      const from = rng.int(b.length + 1);
      b.fill(0, from, Math.min(b.length, from + 1 + rng.int(32)));
      return b;
    }
  }
}
