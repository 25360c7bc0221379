import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sourceOf } from './source-address.ts';

describe('sourceOf', () => {
  it('keeps an IPv4 address whole, also when written IPv4-mapped', () => {
    assert.equal(sourceOf('203.0.113.7'), '203.0.113.7');
    assert.equal(sourceOf('::ffff:203.0.113.7'), '203.0.113.7');
  });

  it('puts every address of one IPv6 /64 in one bucket, whatever the spelling', () => {
    const bucket = sourceOf('2001:db8:1:2::1');
    assert.equal(bucket, '2001:db8:1:2::/64');
    for (const same of [
      '2001:0db8:0001:0002:ffff:ffff:ffff:ffff',
      '2001:DB8:1:2:a:b:c:d',
      '2001:db8:1:2::1.2.3.4',
    ])
      assert.equal(sourceOf(same), bucket, same);
    assert.equal(sourceOf('fe80::1%eth0'), 'fe80:0:0:0::/64');
  });

  it('gives different /64s different buckets', () => {
    assert.notEqual(sourceOf('2001:db8:1:2::1'), sourceOf('2001:db8:1:3::1'));
    assert.notEqual(sourceOf('2001:db8::1'), sourceOf('2001:db9::1'));
    assert.equal(sourceOf('::1'), '0:0:0:0::/64');
  });
});
