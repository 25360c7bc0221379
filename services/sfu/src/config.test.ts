import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boundPublicUrl, configFromEnv, normalizeNodeUrl } from './config.ts';

const KEY =
  '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n';

test('node URLs compare in a normal form; anything that is not a URL never matches', () => {
  assert.equal(normalizeNodeUrl('WSS://SFU1.Example.org:443/v1/sfu/'), 'wss://sfu1.example.org/v1/sfu');
  assert.equal(normalizeNodeUrl('ws://127.0.0.1:8443/v1/sfu'), 'ws://127.0.0.1:8443/v1/sfu');
  assert.notEqual(
    normalizeNodeUrl('ws://127.0.0.1:8443/v1/sfu'),
    normalizeNodeUrl('ws://127.0.0.1:8444/v1/sfu'),
  );
  assert.notEqual(normalizeNodeUrl('ws://h/v1/sfu'), normalizeNodeUrl('wss://h/v1/sfu'));
  assert.equal(normalizeNodeUrl('sfu-1'), undefined);
  assert.equal(normalizeNodeUrl(''), undefined);
});

test('port 0 in the public URL becomes the port bound; other URLs stay as they are', () => {
  assert.equal(boundPublicUrl('ws://127.0.0.1:0/v1/sfu', 45123), 'ws://127.0.0.1:45123/v1/sfu');
  assert.equal(boundPublicUrl('wss://sfu1.example.org/v1/sfu', 45123), 'wss://sfu1.example.org/v1/sfu');
  assert.equal(boundPublicUrl('ws://127.0.0.1:4443/v1/sfu', 45123), 'ws://127.0.0.1:4443/v1/sfu');
});

test('SFU_ACCEPTED_URLS is a comma-separated list, empty entries ignored', () => {
  const base = { JOIN_TOKEN_PUBLIC_KEYS: KEY };
  assert.deepEqual(configFromEnv(base, () => '').acceptedUrls, []);
  assert.deepEqual(
    configFromEnv(
      { ...base, SFU_ACCEPTED_URLS: ' wss://a.example.org/v1/sfu, ,wss://b.example.org/v1/sfu' },
      () => '',
    ).acceptedUrls,
    ['wss://a.example.org/v1/sfu', 'wss://b.example.org/v1/sfu'],
  );
});

test('the former names SFU_JOIN_TOKEN_PUBLIC_KEYS, SFU_REDIS_URL and SFU_LOG_LEVEL still work; new names win', () => {
  const former = configFromEnv(
    { SFU_JOIN_TOKEN_PUBLIC_KEYS: KEY, SFU_REDIS_URL: 'redis://redis:6379/0', SFU_LOG_LEVEL: 'debug' },
    () => '',
  );
  assert.equal(former.joinTokenPublicKeys.length, 1);
  assert.equal(former.redisUrl, 'redis://redis:6379/0');
  assert.equal(former.logLevel, 'debug');
  const both = configFromEnv(
    { JOIN_TOKEN_PUBLIC_KEYS: KEY, LOG_LEVEL: 'warn', SFU_LOG_LEVEL: 'debug' },
    () => '',
  );
  assert.equal(both.logLevel, 'warn');
});

test('join token keys passed typed replace JOIN_TOKEN_PUBLIC_KEYS, which is then not needed', () => {
  const noFile = () => {
    throw new Error('no file is read');
  };
  const config = configFromEnv({ JOIN_TOKEN_PUBLIC_KEYS: '/not/read' }, noFile, {
    joinTokenPublicKeys: [KEY],
  });
  assert.deepEqual(config.joinTokenPublicKeys, [KEY]);
  assert.deepEqual(configFromEnv({}, noFile, { joinTokenPublicKeys: [KEY] }).joinTokenPublicKeys, [KEY]);
  assert.throws(() => configFromEnv({}, noFile), /JOIN_TOKEN_PUBLIC_KEYS/);
});
