/**
 * The one Lua script of the Redis group store: storage only, no group rule. It applies a
 * batch of writes that the group rules (src/group/rules/) computed from the state read at
 * `expected` version, only if the group is still at that version, so concurrent DS instances
 * cannot both apply a change to the same state (compare-and-set; the loser reads again).
 * Publishing in the same step keeps the feed's order the order of the writes.
 *
 * KEYS: the group's keys (see `groupKeys`; KEYS[3] holds the version in field `v`).
 * ARGV: 1 expected version ('' = no group), 2 new version ('' = the group is deleted),
 *       3 TTL ms, 4 feed channel, then writes as quadruples: command, key index, a, b.
 * Returns 1 when applied, 0 when the version moved.
 */
export const CAS_SCRIPT = `
if (redis.call('HGET', KEYS[3], 'v') or '') ~= ARGV[1] then return 0 end
for i = 5, #ARGV, 4 do
  local op, key, a, b = ARGV[i], KEYS[tonumber(ARGV[i + 1])], ARGV[i + 2], ARGV[i + 3]
  if op == 'del' then redis.call('DEL', unpack(KEYS))
  elseif op == 'hset' then redis.call('HSET', key, a, b)
  elseif op == 'hdel' then redis.call('HDEL', key, a)
  elseif op == 'sadd' then redis.call('SADD', key, a)
  elseif op == 'rpush' then redis.call('RPUSH', key, a)
  elseif op == 'ltrim' then redis.call('LTRIM', key, tonumber(a), tonumber(b))
  elseif op == 'publish' then redis.call('PUBLISH', ARGV[4], a)
  else return redis.error_reply('unknown write ' .. op) end
end
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[3], 'v', ARGV[2])
  for _, k in ipairs(KEYS) do redis.call('PEXPIRE', k, ARGV[3]) end
end
return 1
`;
