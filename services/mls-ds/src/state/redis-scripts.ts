/**
 * Lua scripts of the Redis group store. Each runs atomically, so "exactly one commit per
 * epoch" holds across any number of DS instances: the epoch check, the sequence number,
 * the replay buffer and the PUBLISH to the group's feed happen in one step, and PUBLISH
 * order is sequence order.
 *
 * KEYS: 1 sessions hash, 2 key packages hash, 3 group hash (epoch, seq, ord, req),
 *       4 replay list, 5 refused sids set, 6 sid → member hash.
 * ARGV: 1 now, 2 ttl ms, 3 resume grace ms, 4 commit deadline ms, 5 max batch,
 *       6 replay events, 7 feed channel, 8… per script.
 * Session records are JSON: {sid, r (role), st (p|j|l), o (order), leaf, seen, c (connected),
 * cn (connection), sh (secret hash)}.
 */
const PRELUDE = `
local M, KP, G, LOG, X, S = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local grace = tonumber(ARGV[3])
local deadlineMs = tonumber(ARGV[4])
local maxBatch = tonumber(ARGV[5])
local replay = tonumber(ARGV[6])
local chan = ARGV[7]

local function getm(id)
  local v = redis.call('HGET', M, id)
  if v then return cjson.decode(v) end
  return nil
end
-- The session a resume secret opens: live (not leaving) and holding that secret hash.
local function resumable(id, sh)
  local r = getm(id)
  if r == nil or r.st == 'l' or r.sh ~= sh then return nil end
  return r
end
local function putm(id, r) redis.call('HSET', M, id, cjson.encode(r)) end
local function forget(id, r)
  redis.call('HDEL', M, id)
  redis.call('HDEL', KP, id)
  if r.sid ~= '' and redis.call('HGET', S, r.sid) == id then redis.call('HDEL', S, r.sid) end
end
local function depart(id, r)
  if r.st == 'p' then forget(id, r) else
    r.st = 'l'; r.c = 0
    if r.sid ~= '' and redis.call('HGET', S, r.sid) == id then redis.call('HDEL', S, r.sid) end
    putm(id, r)
  end
end
local function touch()
  for _, k in ipairs({M, KP, G, LOG, X, S}) do redis.call('PEXPIRE', k, ttl) end
end
local function pub(s) redis.call('PUBLISH', chan, s) end
local function closeMsg(to, code) pub(cjson.encode({k = 'close', to = to, code = code})) end
local function epochOf() return tonumber(redis.call('HGET', G, 'epoch') or '0') end
local function seqOf() return tonumber(redis.call('HGET', G, 'seq') or '0') end
local function append(rest)
  local seq = redis.call('HINCRBY', G, 'seq', 1)
  local e = '{"seq":' .. seq .. ',' .. rest
  redis.call('RPUSH', LOG, e)
  redis.call('LTRIM', LOG, -replay, -1)
  redis.call('PEXPIRE', LOG, ttl)
  pub(e)
  return seq
end
local function resetGroup(all)
  for id, r in pairs(all) do if r.st == 'l' then forget(id, r); all[id] = nil end end
  redis.call('HSET', G, 'epoch', 0)
  redis.call('HDEL', G, 'req')
end
local function byOrder(a, b) return a.r.o < b.r.o end
-- Every leaf of the tree (joined members and members waiting for their Remove), minus 'skip'.
local function leaves(skip)
  local out = {}
  local raw = redis.call('HGETALL', M)
  for i = 1, #raw, 2 do
    local r = cjson.decode(raw[i + 1])
    if r.st ~= 'p' and r.leaf >= 0 and not skip[raw[i]] then table.insert(out, {member = raw[i], leaf = r.leaf}) end
  end
  return out
end

-- Expires silent sessions, deletes an empty group, and hands pending work to a committer.
local function pump()
  local raw = redis.call('HGETALL', M)
  local all = {}
  for i = 1, #raw, 2 do
    local id, r = raw[i], cjson.decode(raw[i + 1])
    if r.st ~= 'l' and r.seen < now - grace then depart(id, r) end
    if redis.call('HEXISTS', M, id) == 1 then all[id] = r end
  end
  local joined, pending, leaving = {}, {}, {}
  for id, r in pairs(all) do
    if r.st == 'j' then table.insert(joined, {id = id, r = r})
    elseif r.st == 'p' then table.insert(pending, {id = id, r = r})
    else table.insert(leaving, {id = id, r = r}) end
  end
  table.sort(pending, byOrder)
  table.sort(leaving, byOrder)
  if #joined == 0 then
    if #pending == 0 then
      redis.call('DEL', M, KP, G, LOG, X, S)
      pub('{"k":"purged"}')
      return true
    end
    -- Everyone who could commit left before adding the waiting joiners: the oldest starts anew.
    resetGroup(all)
    leaving = {}
    local first = table.remove(pending, 1)
    first.r.st = 'j'; first.r.leaf = 0
    putm(first.id, first.r)
    redis.call('HDEL', KP, first.id)
    table.insert(joined, first)
    pub(cjson.encode({k = 'create', to = first.id, epoch = 0, seq = seqOf()}))
  end
  local adds = {}
  for _, p in ipairs(pending) do
    if #adds >= maxBatch then break end
    local kp = redis.call('HGET', KP, p.id)
    if kp then table.insert(adds, {member = p.id, kp = kp}) end
  end
  if #adds == 0 and #leaving == 0 then
    redis.call('HDEL', G, 'req')
    return false
  end
  local epoch = epochOf()
  local reqRaw = redis.call('HGET', G, 'req')
  if reqRaw then
    local req = cjson.decode(reqRaw)
    if req.epoch == epoch then
      local cur = all[req.to]
      local valid = cur ~= nil and cur.st == 'j' and cur.c == 1
      if valid and req.dl > now then return false end
      if valid then
        -- Failover: the committer that stayed silent past its deadline moves to the back.
        cur.o = redis.call('HINCRBY', G, 'ord', 1)
        putm(req.to, cur)
      end
    end
  end
  local best = nil
  for _, j in ipairs(joined) do
    if j.r.c == 1 and (best == nil or j.r.o < best.r.o) then best = j end
  end
  if best == nil then return false end
  redis.call('HSET', G, 'req', cjson.encode({to = best.id, epoch = epoch, dl = now + deadlineMs}))
  local removes = {}
  for _, l in ipairs(leaving) do table.insert(removes, {member = l.id, leaf = l.r.leaf}) end
  pub(cjson.encode({k = 'req', to = best.id, epoch = epoch, deadline = deadlineMs, adds = adds, removes = removes}))
  return false
end
`;

/** ARGV 8 member, 9 connection, 10 sid, 11 role, 12 secret hash, 13 max members. */
const JOIN = `
local id, conn, sid, role, sh, maxMembers = ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12], tonumber(ARGV[13])
if redis.call('SISMEMBER', X, sid) == 1 then return {'session_refused'} end
if redis.call('HEXISTS', S, sid) == 1 then return {'session_in_use'} end
if redis.call('HLEN', M) >= maxMembers then return {'group_full'} end
local all, anyJoined = {}, false
local raw = redis.call('HGETALL', M)
for i = 1, #raw, 2 do
  local r = cjson.decode(raw[i + 1])
  all[raw[i]] = r
  if r.st == 'j' then anyJoined = true end
end
local create = not anyJoined
if create then resetGroup(all) end
local o = redis.call('HINCRBY', G, 'ord', 1)
redis.call('HSETNX', G, 'seq', 0)
putm(id, {sid = sid, r = role, st = create and 'j' or 'p', o = o, leaf = create and 0 or -1, seen = now, c = 1, cn = conn, sh = sh})
redis.call('HSET', S, sid, id)
pump()
touch()
return {create and 'create' or 'pending', epochOf(), seqOf(), cjson.encode(leaves({}))}
`;

/** ARGV 8 member, 9 secret hash. Read-only: writes, touches and publishes nothing. */
const CAN_RESUME = `
if resumable(ARGV[8], ARGV[9]) == nil then return {'resume_unavailable'} end
return {'ok'}
`;

/** ARGV 8 member, 9 connection, 10 secret hash, 11 after seq. */
const RESUME = `
local id, conn, sh, after = ARGV[8], ARGV[9], ARGV[10], tonumber(ARGV[11])
local r = resumable(id, sh)
if r == nil then return {'resume_unavailable'} end
local seq = seqOf()
local missed = seq - after
if missed < 0 or missed > redis.call('LLEN', LOG) then return {'resume_unavailable'} end
r.c = 1; r.seen = now; r.cn = conn
putm(id, r)
pub(cjson.encode({k = 'close', to = id, code = 'replaced', keep = conn}))
touch()
local res = {'ok', epochOf(), seq, r.r, r.sid, r.st}
if missed > 0 then
  for _, e in ipairs(redis.call('LRANGE', LOG, -missed, -1)) do table.insert(res, e) end
end
return res
`;

/** ARGV 8 member, 9 key package, 10 max pending. */
const KEY_PACKAGE = `
local id, kp, maxPending = ARGV[8], ARGV[9], tonumber(ARGV[10])
local r = getm(id)
if r == nil then return {'unknown_member'} end
if r.st ~= 'p' then return {'not_pending'} end
if redis.call('HEXISTS', KP, id) == 0 and redis.call('HLEN', KP) >= maxPending then return {'too_many_pending'} end
redis.call('HSET', KP, id, kp)
pump()
touch()
return {'ok'}
`;

/** ARGV 8 member, 9 epoch, 10 entry JSON after "{", 11 adds JSON, 12 removes JSON, 13 rejected JSON. */
const COMMIT = `
local id, epochArg, rest = ARGV[8], tonumber(ARGV[9]), ARGV[10]
local adds, removes, rejected = cjson.decode(ARGV[11]), cjson.decode(ARGV[12]), cjson.decode(ARGV[13])
local me = getm(id)
if me == nil or me.st ~= 'j' then return {'not_member'} end
local epoch = epochOf()
if epochArg ~= epoch then return {'stale_epoch', epoch} end
for _, a in ipairs(adds) do
  local r = getm(a.member)
  if r ~= nil and r.st ~= 'p' then return {'invalid_commit'} end
end
for _, rm in ipairs(removes) do if rm == id then return {'invalid_commit'} end end
if #adds > 0 then
  -- A joiner learns from its Welcome which DS member sits on every leaf.
  local skip = {}
  for _, rm in ipairs(removes) do skip[rm] = true end
  local members = leaves(skip)
  for _, a in ipairs(adds) do table.insert(members, {member = a.member, leaf = a.leaf}) end
  rest = '"members":' .. cjson.encode(members) .. ',' .. rest
end
local seq = append(rest)
redis.call('HSET', G, 'epoch', epoch + 1)
redis.call('HDEL', G, 'req')
for _, a in ipairs(adds) do
  local r = getm(a.member)
  if r ~= nil then
    r.st = 'j'; r.leaf = a.leaf
    putm(a.member, r)
    redis.call('HDEL', KP, a.member)
  else
    -- The joiner vanished after the commit was built: its leaf exists, so it must be removed next.
    putm(a.member, {sid = '', r = 'participant', st = 'l', o = redis.call('HINCRBY', G, 'ord', 1), leaf = a.leaf, seen = now, c = 0, cn = '', sh = ''})
  end
end
for _, rm in ipairs(removes) do
  local r = getm(rm)
  if r ~= nil then
    forget(rm, r)
    if r.st ~= 'l' then closeMsg(rm, 'removed') end
  end
end
for _, rj in ipairs(rejected) do
  local r = getm(rj)
  if r ~= nil and r.st == 'p' then forget(rj, r); closeMsg(rj, 'rejected') end
end
pump()
touch()
return {'ok', seq, epoch + 1}
`;

/** ARGV 8 member, 9 rejected JSON. */
const REJECT = `
local id, rejected = ARGV[8], cjson.decode(ARGV[9])
local me = getm(id)
if me == nil or me.st ~= 'j' then return {'not_member'} end
for _, rj in ipairs(rejected) do
  local r = getm(rj)
  if r ~= nil and r.st == 'p' then forget(rj, r); closeMsg(rj, 'rejected') end
end
pump()
touch()
return {'ok'}
`;

/** ARGV 8 member, 9 epoch, 10 entry JSON after "{". */
const APP = `
local id, e, rest = ARGV[8], tonumber(ARGV[9]), ARGV[10]
local me = getm(id)
if me == nil or me.st ~= 'j' then return {'not_member'} end
local epoch = epochOf()
if e > epoch or e < epoch - 1 then return {'wrong_epoch', epoch} end
return {'ok', append(rest)}
`;

/** ARGV 8 member. */
const LEAVE = `
local id = ARGV[8]
if redis.call('EXISTS', G) == 0 and redis.call('EXISTS', M) == 0 then return {'purged'} end
local r = getm(id)
if r ~= nil then depart(id, r) end
if pump() then return {'purged'} end
touch()
return {'ok'}
`;

/** ARGV 8 member, 9 connection. */
const DISCONNECT = `
local id, conn = ARGV[8], ARGV[9]
local r = getm(id)
if r == nil or r.cn ~= conn then return {'ok'} end
r.c = 0; r.seen = now
putm(id, r)
pump()
return {'ok'}
`;

/** ARGV 8 target member. */
const KICK = `
local id = ARGV[8]
local r = getm(id)
if r == nil or r.st == 'l' then return {'unknown_member'} end
redis.call('SADD', X, r.sid)
depart(id, r)
closeMsg(id, 'kicked')
pump()
touch()
return {'ok', r.sid}
`;

/** ARGV 8 sid. */
const REFUSE = `
local sid = ARGV[8]
redis.call('SADD', X, sid)
redis.call('PEXPIRE', X, ttl)
local id = redis.call('HGET', S, sid)
if not id then return {'ok'} end
local r = getm(id)
if r == nil or r.st == 'l' then return {'ok'} end
depart(id, r)
closeMsg(id, 'kicked')
pump()
touch()
return {'ok'}
`;

/** ARGV 8… members connected to the calling instance. */
const MAINTAIN = `
if redis.call('EXISTS', M) == 0 then
  if redis.call('EXISTS', G) == 1 or redis.call('EXISTS', LOG) == 1 then
    redis.call('DEL', KP, G, LOG, S)
    pub('{"k":"purged"}')
  end
  return {'purged'}
end
for i = 8, #ARGV do
  local r = getm(ARGV[i])
  if r ~= nil and r.st ~= 'l' then r.seen = now; r.c = 1; putm(ARGV[i], r) end
end
if pump() then return {'purged'} end
touch()
return {'ok'}
`;

/** ARGV 8 after seq. */
const READ_LOG = `
local after = tonumber(ARGV[8])
if redis.call('EXISTS', G) == 0 then return {'gap'} end
local missed = seqOf() - after
if missed < 0 or missed > redis.call('LLEN', LOG) then return {'gap'} end
local res = {'ok'}
if missed > 0 then
  for _, e in ipairs(redis.call('LRANGE', LOG, -missed, -1)) do table.insert(res, e) end
end
return res
`;

const END = `
redis.call('DEL', M, KP, G, LOG, X, S)
pub('{"k":"end"}')
return {'ok'}
`;

export const SCRIPTS = {
  dsJoin: PRELUDE + JOIN,
  dsCanResume: PRELUDE + CAN_RESUME,
  dsResume: PRELUDE + RESUME,
  dsKeyPackage: PRELUDE + KEY_PACKAGE,
  dsCommit: PRELUDE + COMMIT,
  dsReject: PRELUDE + REJECT,
  dsApp: PRELUDE + APP,
  dsLeave: PRELUDE + LEAVE,
  dsDisconnect: PRELUDE + DISCONNECT,
  dsKick: PRELUDE + KICK,
  dsRefuse: PRELUDE + REFUSE,
  dsMaintain: PRELUDE + MAINTAIN,
  dsReadLog: PRELUDE + READ_LOG,
  dsEnd: PRELUDE + END,
} as const;
export type ScriptName = keyof typeof SCRIPTS;
