import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acceptRenamedEnv } from './renamed-env.ts';

function recorder() {
  const lines: string[] = [];
  return { lines, log: { warn: (_fields: object, message: string) => void lines.push(message) } };
}

describe('renamed environment variables', () => {
  it('an old name still sets the new one, with a warning naming both', () => {
    const { lines, log } = recorder();
    const env = acceptRenamedEnv({ OLD_ONE: 'a' }, { OLD_ONE: 'NEW_ONE' }, log as never);
    assert.equal(env.NEW_ONE, 'a');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /OLD_ONE.*NEW_ONE/);
  });

  it('the new name wins over the old one, in either form', () => {
    const { log } = recorder();
    const renames = { OLD_TWO: 'NEW_TWO' };
    assert.equal(acceptRenamedEnv({ OLD_TWO: 'old', NEW_TWO: 'new' }, renames, log as never).NEW_TWO, 'new');
    const viaFile = acceptRenamedEnv({ OLD_TWO: 'old', NEW_TWO_FILE: '/run/new' }, renames, log as never);
    assert.equal(viaFile.NEW_TWO, undefined);
    assert.equal(viaFile.NEW_TWO_FILE, '/run/new');
  });

  it('the _FILE form of an old name becomes the _FILE form of the new one', () => {
    const { log } = recorder();
    const env = acceptRenamedEnv({ OLD_THREE_FILE: '/run/secret' }, { OLD_THREE: 'NEW_THREE' }, log as never);
    assert.equal(env.NEW_THREE_FILE, '/run/secret');
  });

  it('warns once per old name in a process, however often the configuration is read', () => {
    const { lines, log } = recorder();
    for (let i = 0; i < 3; i++) acceptRenamedEnv({ OLD_FOUR: 'x' }, { OLD_FOUR: 'NEW_FOUR' }, log as never);
    assert.equal(lines.length, 1);
  });

  it('changes nothing and says nothing when only new names are used', () => {
    const { lines, log } = recorder();
    const input = { NEW_FIVE: 'v' };
    const env = acceptRenamedEnv(input, { OLD_FIVE: 'NEW_FIVE' }, log as never);
    assert.deepEqual(env, input);
    assert.notEqual(env, input);
    assert.equal(lines.length, 0);
  });
});
