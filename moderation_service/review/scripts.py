"""The review queue's Lua scripts: each runs atomically on one site's keys (one hash tag, one slot).

Item keys are built inside the scripts from a prefix passed in ARGV plus the token of the item id; they
carry the same ``{site}`` hash tag as the declared keys, so every key a script touches is in one slot.
"""

from __future__ import annotations

# Writes that must be all or nothing first check the types of the keys they will write: expect(key, type)
# notes the first key that holds another type (edited by hand), and the script then returns
# ``redis.error_reply(wrong)`` before it has written anything.
TYPE_CHECK = """
local wrong
local function expect(key, want)
  local kind = redis.call('TYPE', key)['ok']
  if not wrong and kind ~= 'none' and kind ~= want then
    wrong = 'WRONGTYPE ' .. key .. ' holds a ' .. kind .. ', not a ' .. want
  end
end
"""

REPUTATION_KEYS = """
-- The reputation counters a spam verdict on this item raises (keyed hashes of its IP, e-mail and link
-- domains): the decision raises them, reopening lowers them, an edit reads them without its own verdict.
local function reputation_keys(key, prefix)
  local identities = cjson.decode(redis.call('HGET', key, 'identities') or '{}')
  local found = {}
  local function add(kind, value)
    if value and value ~= '' then found[#found + 1] = prefix .. kind .. ':' .. value end
  end
  add('ip', identities.ip)
  add('email', identities.email)
  for _, domain in ipairs(identities.domains or {}) do add('domain', domain) end
  return found
end
"""

# An item's own trail (keys.item_audit): the ids of its audit entries, oldest first (the last 1,000), beside
# the site's audit stream (``<stream>:<token>``), kept as long as the item's record (``comment:<token>`` beside
# the stream): it expires with it, and goes when the blog deletes the comment (the site's log keeps the entries).
TRAIL = """
local function remember(stream, id, entry)
  local item = string.match(id, ':([^:]+)$')
  local trail = stream .. ':' .. item
  local ttl = redis.call('PTTL', string.sub(stream, 1, -6) .. 'comment:' .. item)
  if ttl == -2 then
    redis.call('DEL', trail)
    return
  end
  redis.call('RPUSH', trail, entry)
  redis.call('LTRIM', trail, -1000, -1)
  if ttl > 0 then redis.call('PEXPIRE', trail, ttl) else redis.call('PERSIST', trail) end
end
"""

COMMON = TRAIL + """
local function token(id) return string.match(id, ':([^:]+)$') end

-- An item as the queue returns it: its hash, and its author's history (approved/rejected/spam counts).
local function item_state(key, author_prefix)
  local author = redis.call('HGET', key, 'author')
  local history = {}
  if author and author ~= '' then history = redis.call('HGETALL', author_prefix .. author) end
  return {redis.call('HGETALL', key), history}
end

local function audit(stream, maxlen, now, actor, action, id, before, after)
  remember(stream, id, redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*',
                                  'at', now, 'actor', actor, 'action', action, 'item', id, 'before', before,
                                  'after', after))
end

local function claim_state(key)
  local holder, expires = unpack(redis.call('HMGET', key, 'claimed_by', 'claim_expires'))
  if not holder then return '{}' end
  return cjson.encode({claimed_by = holder, claim_expires = tonumber(expires)})
end

-- Claiming hands the moderator the item's current text: the revision they saw is kept with the claim, so that
-- a decision after an edit (see the store's RECORD script) can be refused until they have claimed it again.
local function take(key, moderator, lease_until)
  redis.call('HSET', key, 'claimed_by', moderator, 'claim_expires', lease_until,
             'claim_revision', redis.call('HGET', key, 'revision') or '1')
end

-- Leases that ended return their items to the queue (and say so in the audit log).
local function expire_leases(claims, stream, maxlen, now, prefix)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', claims, '-inf', now)) do
    redis.call('ZREM', claims, id)
    local key = prefix .. token(id)
    local before = claim_state(key)
    if redis.call('HEXISTS', key, 'claimed_by') == 1 then
      redis.call('HDEL', key, 'claimed_by', 'claim_expires', 'claim_revision')
      audit(stream, maxlen, now, 'system', 'lease_expired', id, before, '{}')
    end
  end
end
"""

# Webhook deliveries of one item go out in the order they were made: each names the one made before it
# (``after``), and the outbox sends it only once that one is settled (see outbox.BEGIN_ATTEMPT).
DELIVERIES = """
local function enqueue_delivery(item_key, prefix, delivery_id, item_id, payload, now, due, all)
  local previous = redis.call('HGET', item_key, 'last_delivery')
  redis.call('HSET', prefix .. delivery_id, 'id', delivery_id, 'item', item_id, 'payload', payload, 'attempts', 0,
             'status', 'pending', 'created_at', now)
  if previous then redis.call('HSET', prefix .. delivery_id, 'after', previous) end
  redis.call('HSET', item_key, 'last_delivery', delivery_id)
  redis.call('ZADD', due, now, delivery_id)
  redis.call('ZADD', all, now, delivery_id)
end

-- Cancels a delivery still owed (waiting, or failed and so open to an operator's retry) unless it is being
-- sent right now. Returns whether it was cancelled, and the attempts it had had.
local function cancel_delivery(prefix, delivery_id, due, now, why)
  local key = prefix .. delivery_id
  local state, attempts, sending = unpack(redis.call('HMGET', key, 'status', 'attempts', 'sending_until'))
  if (state == 'pending' or state == 'failed') and not (sending and tonumber(sending) > tonumber(now)) then
    redis.call('HSET', key, 'status', 'cancelled', 'last_error', why)
    redis.call('ZREM', due, delivery_id)
    return true, tonumber(attempts or '0')
  end
  return false, 0
end
"""

# The pending items to walk: the order index itself, or, with filters (sorted sets an item must also belong
# to), their intersection stored in a scratch key and scored as the order index (arrival time or risk).
# The caller deletes the scratch key before its script returns.
SELECTION = """
local function selection(order_index, scratch, first_filter)
  if #KEYS < first_filter then return order_index end
  local args = {'ZINTERSTORE', scratch, #KEYS - first_filter + 2, order_index}
  for i = first_filter, #KEYS do args[#args + 1] = KEYS[i] end
  args[#args + 1] = 'WEIGHTS'
  args[#args + 1] = 1
  for i = first_filter, #KEYS do args[#args + 1] = 0 end
  redis.call(unpack(args))
  return scratch
end

local function range(key, direction, start, stop)
  if direction == 'desc' then return redis.call('ZREVRANGE', key, start, stop, 'WITHSCORES') end
  return redis.call('ZRANGE', key, start, stop, 'WITHSCORES')
end
"""

# The items of a selection that come after a cursor (a score and an id, exclusive) in its order: a later
# score, or the same score and a later id (sorted sets order ties by member, bytewise). Up to ``want`` of them,
# as id, score, id, score, ... A cursor does not shift when items before it leave the queue, as an offset does.
AFTER = """
-- Bytewise, as sorted sets order members (Lua's own < follows the server's locale).
local function before(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

local function after(key, direction, score, id, want)
  local found, offset, bound = {}, 0, tonumber(score)
  -- The cursor's own item, still there as it was: the page starts right after it (no walk over its ties).
  local still = redis.call('ZSCORE', key, id)
  if still and tonumber(still) == bound then
    local rank = redis.call(direction == 'desc' and 'ZREVRANK' or 'ZRANK', key, id)
    return range(key, direction, rank + 1, rank + want)
  end
  while true do
    local batch
    if direction == 'desc' then
      batch = redis.call('ZREVRANGEBYSCORE', key, score, '-inf', 'WITHSCORES', 'LIMIT', offset, 200)
    else
      batch = redis.call('ZRANGEBYSCORE', key, score, '+inf', 'WITHSCORES', 'LIMIT', offset, 200)
    end
    if #batch == 0 then return found end
    for i = 1, #batch, 2 do
      local member = batch[i]
      if tonumber(batch[i + 1]) ~= bound or (direction == 'desc' and before(member, id))
          or (direction ~= 'desc' and before(id, member)) then
        found[#found + 1] = member
        found[#found + 1] = batch[i + 1]
        if #found >= 2 * want then return found end
      end
    end
    offset = offset + 200
  end
end
"""

# KEYS: order index, scratch, then filters. ARGV: 'asc'|'desc', start, stop[, cursor score, cursor id].
# Returns the range of the selection as id, score, id, score, ...; with a cursor, the stop - start + 1 items
# after it.
SELECT = SELECTION + AFTER + """
local walk = selection(KEYS[1], KEYS[2], 3)
local found
if ARGV[4] then
  found = after(walk, ARGV[1], ARGV[4], ARGV[5], tonumber(ARGV[3]) - tonumber(ARGV[2]) + 1)
else
  found = range(walk, ARGV[1], ARGV[2], ARGV[3])
end
redis.call('DEL', KEYS[2])
return found
"""

# Walks a selection to its free items (pending, and not claimed or the claim's lease has ended), in order,
# up to ``want`` of them or, with a bound, while their score is not past it (above it walking up, below it
# walking down). visit(key, id, score as Redis gave it) is called for each. Returns whether the selection
# was walked to its end.
WALK_FREE = """
local function walk_free(walk, direction, prefix, now, want, bound, visit)
  local seen, offset = 0, 0
  while seen < want do
    local found = range(walk, direction, offset, offset + 199)
    if #found == 0 then return true end
    for i = 1, #found, 2 do
      local score = tonumber(found[i + 1])
      if bound and ((direction == 'desc' and score < bound) or (direction ~= 'desc' and score > bound)) then
        return false
      end
      local key = prefix .. token(found[i])
      local expires = redis.call('HGET', key, 'claim_expires')
      if redis.call('HGET', key, 'status') == 'pending' and (not expires or tonumber(expires) <= tonumber(now)) then
        visit(key, found[i], found[i + 1])
        seen = seen + 1
        if seen >= want then return false end
      end
    end
    offset = offset + 200
  end
  return false
end
"""

# KEYS: order index, scratch, then filters. ARGV: 'asc'|'desc', item key prefix, now.
# Returns the score of the first free item of the selection, or nil when none is free.
FREE_HEAD = COMMON + SELECTION + WALK_FREE + """
local head
walk_free(selection(KEYS[1], KEYS[2], 3), ARGV[1], ARGV[2], ARGV[3], 1, nil,
          function(key, id, score) head = score end)
redis.call('DEL', KEYS[2])
return head
"""

# KEYS: order index, claims, audit, scratch, then filters.
# ARGV: moderator, count, now, lease_until, item key prefix, 'asc'|'desc', audit maxlen, author key prefix,
#       bound ('' = none: the score past which to stop, the next site's head).
# Returns {1 if the selection was walked to its end else 0, the claimed items' states in selection order}.
CLAIM_NEXT = COMMON + SELECTION + WALK_FREE + """
local moderator, want, now, lease_until, prefix = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5]
expire_leases(KEYS[2], KEYS[3], ARGV[7], now, prefix)
local claimed = {}
local ended = walk_free(selection(KEYS[1], KEYS[4], 5), ARGV[6], prefix, now, want, tonumber(ARGV[9]),
  function(key, id)
    take(key, moderator, lease_until)
    redis.call('ZADD', KEYS[2], lease_until, id)
    audit(KEYS[3], ARGV[7], now, moderator, 'claim', id, '{}', claim_state(key))
    claimed[#claimed + 1] = item_state(key, ARGV[8])
  end)
redis.call('DEL', KEYS[4])
return {ended and 1 or 0, claimed}
"""

# Checks shared by claim, renew, release and decide on one item. Returns nil or an error reply.
ITEM_CHECKS = """
-- must_hold: the moderator must hold the item; overrides: a claim does not matter (the blog decided itself).
local function check(key, moderator, now, must_hold, overrides)
  local status, holder, expires = unpack(redis.call('HMGET', key, 'status', 'claimed_by', 'claim_expires'))
  if not status then return {'not_found'} end
  if status ~= 'pending' then
    local by, revision = unpack(redis.call('HMGET', key, 'decided_by', 'revision'))
    if not by or by == '' then return {'decided_by_model', status, revision or '1'} end
    return {'already_decided', status, by}
  end
  if overrides then return nil end
  -- held for review in the comment system (its site's review = "elsewhere"): in no queue here
  if redis.call('HEXISTS', key, 'indexes') == 0 then return {'reviewed_elsewhere'} end
  if holder and holder ~= moderator and tonumber(expires) > tonumber(now) then
    return {'claimed_by_other', holder}
  end
  if must_hold then
    if not holder or holder ~= moderator then return {'not_claimed'} end
    if tonumber(expires) <= tonumber(now) then return {'lease_expired'} end
  end
  return nil
end
"""

# KEYS: item, claims, audit. ARGV: moderator, now, lease_until, id, audit maxlen, item key prefix, author prefix.
# Claims a free item, renews one the moderator holds; returns {'ok', action, state}.
CLAIM_ITEM = COMMON + ITEM_CHECKS + """
local moderator, now, lease_until, id = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
expire_leases(KEYS[2], KEYS[3], ARGV[5], now, ARGV[6])
local problem = check(KEYS[1], moderator, now, false)
if problem then return problem end
local before = claim_state(KEYS[1])
local action = 'claim'
if redis.call('HGET', KEYS[1], 'claimed_by') == moderator then action = 'renew' end
take(KEYS[1], moderator, lease_until)
redis.call('ZADD', KEYS[2], lease_until, id)
audit(KEYS[3], ARGV[5], now, moderator, action, id, before, claim_state(KEYS[1]))
return {'ok', action, item_state(KEYS[1], ARGV[7])}
"""

# KEYS: item, claims, audit. ARGV: moderator, now, id, audit maxlen, author prefix. Returns {'ok', state}.
RELEASE = COMMON + ITEM_CHECKS + """
local moderator, now, id = ARGV[1], ARGV[2], ARGV[3]
local problem = check(KEYS[1], moderator, now, true)
if problem then return problem end
local before = claim_state(KEYS[1])
redis.call('HDEL', KEYS[1], 'claimed_by', 'claim_expires', 'claim_revision')
redis.call('ZREM', KEYS[2], id)
audit(KEYS[3], ARGV[4], now, moderator, 'release', id, before, '{}')
return {'ok', item_state(KEYS[1], ARGV[5])}
"""

# KEYS: item, claims, audit, labels, decisions-per-day, outbox due, deliveries.
# ARGV: id, moderator, now, new status, action, note, categories (JSON), training labels (JSON), labelled_at (ISO),
#       retention seconds, author counter field, delivery id ('' = no webhook), audit maxlen, labels maxlen,
#       author key prefix, delivery key prefix, reputation key prefix, reputation ttl seconds, the comment's
#       fields its labelled example keeps (JSON list, see moderation_service.labels), the label's source
#       ('moderator', or the protocol through which the blog decided: no claim is needed then, and a
#       moderator's claim gives way), the revision the moderator read ('' = not said).
# The item leaves every queue index only together with its decision, audit entry, labelled example, author
# history and webhook delivery. Returns {'ok', state}.
DECIDE = COMMON + ITEM_CHECKS + DELIVERIES + REPUTATION_KEYS + """
local id, moderator, now, status, action = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local by_blog = ARGV[20] ~= 'moderator'
local problem = check(KEYS[1], moderator, now, not by_blog, by_blog)
if problem then return problem end
local revision, seen, holder = unpack(redis.call('HMGET', KEYS[1], 'revision', 'claim_revision', 'claimed_by'))
if seen and revision and seen ~= revision and not by_blog then return {'edited', revision} end
local read = ARGV[21]  -- the revision the moderator decided on ('' = not said)
if read ~= '' and read ~= (revision or '1') and not by_blog then return {'edited', revision or '1', read} end
local before = cjson.encode({status = 'pending', claimed_by = holder or cjson.null})
for _, index in ipairs(cjson.decode(redis.call('HGET', KEYS[1], 'indexes') or '[]')) do
  redis.call('ZREM', index, id)
end
redis.call('ZREM', KEYS[2], id)
redis.call('HDEL', KEYS[1], 'claimed_by', 'claim_expires', 'claim_revision', 'indexes')
redis.call('HSET', KEYS[1], 'status', status, 'decided_by', moderator, 'decided_at', now,
           'decision_action', action, 'decision_note', ARGV[6], 'decision_categories', ARGV[7])
redis.call('EXPIRE', KEYS[1], ARGV[10])

-- The labelled example, in the training schema: the text, where it stood, labels and provenance (none for a
-- decision that teaches nothing: no labels).
local comment = cjson.decode(redis.call('HGET', KEYS[1], 'data')).comment
if ARGV[8] ~= '{}' then
  local example = {content = comment.content}
  for _, name in ipairs(cjson.decode(ARGV[19])) do example[name] = comment[name] end
  example.labels = cjson.decode(ARGV[8])
  example.source = ARGV[20]
  example.labelled_by = moderator
  example.labelled_at = ARGV[9]
  local label = redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[14], '*', 'example', cjson.encode(example))
  redis.call('HSET', KEYS[1], 'label_entry', label)
else
  redis.call('HDEL', KEYS[1], 'label_entry')
end
-- What reopening the item must take back: the label, the tally of the day, the webhook delivery. The day's
-- tally counts moderators' decisions, not the blog's.
redis.call('HSET', KEYS[1], 'delivery_id', ARGV[12])
if by_blog then
  redis.call('HDEL', KEYS[1], 'decision_tally')
else
  redis.call('HSET', KEYS[1], 'decision_tally', KEYS[5])
  redis.call('HINCRBY', KEYS[5], moderator, 1)
  redis.call('EXPIRE', KEYS[5], 8640000)
end

-- (cjson would turn an empty categories list into {}: splice the JSON list in as given.)
local function with_categories(encoded) return string.sub(encoded, 1, -2) .. ',"categories":' .. ARGV[7] .. '}' end
audit(KEYS[3], ARGV[13], now, moderator, 'decide', id, before,
      with_categories(cjson.encode({status = status, action = action, note = ARGV[6],
                                    revision = tonumber(revision or '1')})))
local author = redis.call('HGET', KEYS[1], 'author')
-- The author's history lives as long as reputation does after their last decision (it is personal data).
if author and author ~= '' then
  redis.call('HINCRBY', ARGV[15] .. author, ARGV[11], 1)
  redis.call('EXPIRE', ARGV[15] .. author, ARGV[18])
end
-- A spam verdict teaches local reputation: the comment's IP, e-mail and link domains (keyed hashes).
if status == 'spam' then
  for _, key in ipairs(reputation_keys(KEYS[1], ARGV[17])) do
    redis.call('INCR', key)
    redis.call('EXPIRE', key, ARGV[18])
  end
end
if ARGV[12] ~= '' then
  local payload = with_categories(cjson.encode({
    event = 'comment.decided', id = id, site_id = comment.site_id, comment_id = comment.comment_id or cjson.null,
    revision = tonumber(revision or '1'),
    status = status, action = action, decided_by = moderator, decided_at = tonumber(now), delivery_id = ARGV[12]}))
  enqueue_delivery(KEYS[1], ARGV[16], ARGV[12], id, payload, now, KEYS[6], KEYS[7])
end
return {'ok', item_state(KEYS[1], ARGV[15])}
"""

# KEYS: item, claims, audit, labels, the site's set of reason names, outbox due, deliveries, then the queue
#       indexes the item returns to (n).
# ARGV: id, moderator, now, lease_until, audit maxlen, the decided_at read before (a guard: the item was not
#       decided again meanwhile), author prefix, reputation prefix, delivery id ('' = no webhook), delivery key
#       prefix, n, n scores, m reason names, m names.
# Takes a moderator's decision back, as if it had not been taken: the item waits again, claimed by whoever
# reopened it; its labelled example, the author's and the day's counts and a spam verdict's reputation are
# taken back; a webhook delivery of the decision not yet made is cancelled, and the blog is told that the
# comment waits again (unless it never heard of the decision). Returns {'ok', state}, or a refusal.
REOPEN = COMMON + TYPE_CHECK + DELIVERIES + REPUTATION_KEYS + """
local id, moderator, now, lease_until = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local status, decided_by, decided_at, action = unpack(redis.call('HMGET', KEYS[1], 'status', 'decided_by', 'decided_at',
                                                                 'decision_action'))
if not status then return {'not_found'} end
if status == 'pending' then return {'not_decided'} end
if not decided_by or decided_by == '' then
  return {'not_reopenable', status, redis.call('HGET', KEYS[1], 'revision') or '1'}
end
if decided_at ~= ARGV[6] then return {'changed'} end
local n = tonumber(ARGV[11])
local m = tonumber(ARGV[12 + n])
for i = 8, 7 + n do expect(KEYS[i], 'zset') end
if m > 0 then expect(KEYS[5], 'set') end
expect(KEYS[2], 'zset')
if wrong then return redis.error_reply(wrong) end

local function decrement(key, field)
  if field then
    if tonumber(redis.call('HGET', key, field) or '0') > 0 then redis.call('HINCRBY', key, field, -1) end
  elseif tonumber(redis.call('GET', key) or '0') > 0 then
    redis.call('DECR', key)
  end
end
local label, tally, delivery, author = unpack(redis.call('HMGET', KEYS[1], 'label_entry', 'decision_tally',
                                                         'delivery_id', 'author'))
if label then redis.call('XDEL', KEYS[4], label) end
if tally then decrement(tally, decided_by) end
local counters = {approve = 'approved', reject = 'rejected', spam = 'spam'}
if author and author ~= '' and counters[action] then decrement(ARGV[7] .. author, counters[action]) end
if status == 'spam' then
  for _, key in ipairs(reputation_keys(KEYS[1], ARGV[8])) do decrement(key) end
end
-- The decision's webhook delivery, unless it is being sent right now, is cancelled: waiting or failed, an
-- operator's retry must not send a decision that was taken back. Never tried, the blog never heard of it,
-- and needs no word of the reopening either.
local tell_blog = ARGV[9] ~= ''
if delivery and delivery ~= '' then
  local cancelled, attempts = cancel_delivery(ARGV[10], delivery, KEYS[6], now, 'the decision was reopened')
  if cancelled and attempts == 0 then tell_blog = false end
end

local indexes = {}
for i = 1, n do
  redis.call('ZADD', KEYS[7 + i], ARGV[11 + i], id)
  indexes[i] = KEYS[7 + i]
end
for i = 1, m do redis.call('SADD', KEYS[5], ARGV[12 + n + i]) end
redis.call('HDEL', KEYS[1], 'decided_by', 'decided_at', 'decision_action', 'decision_note', 'decision_categories',
           'label_entry', 'decision_tally', 'delivery_id')
redis.call('HSET', KEYS[1], 'status', 'pending')
-- (no index: a comment reviewed elsewhere, taken back by the blog, is in no queue here, and must not look queued)
if n > 0 then redis.call('HSET', KEYS[1], 'indexes', cjson.encode(indexes)) end
redis.call('PERSIST', KEYS[1])
local claimed_by = cjson.null  -- lease '0': the blog took its own decision back, and nobody holds the item
if lease_until ~= '0' then
  take(KEYS[1], moderator, lease_until)
  redis.call('ZADD', KEYS[2], lease_until, id)
  claimed_by = moderator
end
audit(KEYS[3], ARGV[5], now, moderator, 'reopen', id,
      cjson.encode({status = status, decided_by = decided_by, action = action}),
      cjson.encode({status = 'pending', claimed_by = claimed_by}))
if tell_blog then
  local comment = cjson.decode(redis.call('HGET', KEYS[1], 'data')).comment
  local payload = cjson.encode({
    event = 'comment.reopened', id = id, site_id = comment.site_id, comment_id = comment.comment_id or cjson.null,
    revision = tonumber(redis.call('HGET', KEYS[1], 'revision') or '1'), status = 'pending',
    previous_status = status, reopened_by = moderator, reopened_at = tonumber(now), delivery_id = ARGV[9]})
  enqueue_delivery(KEYS[1], ARGV[10], ARGV[9], id, payload, now, KEYS[6], KEYS[7])
end
return {'ok', item_state(KEYS[1], ARGV[7])}
"""

# KEYS: item, claims, audit, outbox due, the item's deletion mark, the blog's decision kept for it. ARGV: id,
# actor, now, audit maxlen, delivery key prefix, how long the deletion mark is kept (seconds).
# The blog deleted the comment: its record goes, with its place in every queue index and any claim on it, so
# that nobody reviews a comment that no longer exists, and the webhook deliveries still owed about it are
# cancelled (a decision sent after the deletion could bring the comment back). The deletion is marked with its
# time, found or not: a record of the comment received before then that reaches Redis later (from a local spool,
# where it waited while Redis was away) is not stored (see the store's RECORD script), and a decision of the
# blog's own kept for it goes (one made afterwards is kept, for a copy sent again: see KEEP_DECISION). Returns
# {'ok', the record's fields as they were}, or {'not_found'}.
DELETE = COMMON + DELIVERIES + """
local id, actor, now = ARGV[1], ARGV[2], ARGV[3]
redis.call('SET', KEYS[5], now, 'EX', ARGV[6])
redis.call('DEL', KEYS[6])
local fields = redis.call('HGETALL', KEYS[1])
if #fields == 0 then return {'not_found'} end
local status, indexes = unpack(redis.call('HMGET', KEYS[1], 'status', 'indexes'))
for _, index in ipairs(cjson.decode(indexes or '[]')) do redis.call('ZREM', index, id) end
redis.call('ZREM', KEYS[2], id)
local delivery = redis.call('HGET', KEYS[1], 'last_delivery')
while delivery do
  cancel_delivery(ARGV[5], delivery, KEYS[4], now, 'the comment was deleted')
  delivery = redis.call('HGET', ARGV[5] .. delivery, 'after')
end
redis.call('DEL', KEYS[1])
audit(KEYS[3], ARGV[4], now, actor, 'delete', id, cjson.encode({status = status}), '{}')
return {'ok', fields}
"""

# Keeps the blog's decision (the field/value pairs from ARGV[first]) in the hash KEYS[1] in place of the one there,
# for ``retention`` seconds: the ``labels_kept`` (JSON lists of names) of both are gathered in the new one's. One
# received later than it (``at``: the two requests raced, and the newer reached Redis first) stays instead, and
# gathers the older one's: the blog's last word is the last the service received (until 2026-11-28 it was the
# last to reach Redis). So does the mark of a take-back received later (see FORGET_DECISION). Returns whether
# the decision was kept.
KEEP_IN_PLACE = """
local function keep_in_place(retention, first)
  local labels_kept, seen = {}, {}
  local function gather(encoded)
    if not encoded or encoded == '' then return end
    for _, name in ipairs(cjson.decode(encoded)) do
      if not seen[name] then
        seen[name] = true
        labels_kept[#labels_kept + 1] = name
      end
    end
  end
  local word = {}
  for i = first, #ARGV, 2 do word[ARGV[i]] = ARGV[i + 1] end
  local kept_at = redis.call('HGET', KEYS[1], 'at')
  gather(redis.call('HGET', KEYS[1], 'labels_kept'))
  local newer_kept = kept_at and tonumber(kept_at) > tonumber(word.at)
  if not newer_kept then
    redis.call('DEL', KEYS[1])
    redis.call('HSET', KEYS[1], unpack(ARGV, first))
  end
  gather(word.labels_kept)
  if #labels_kept > 0 then redis.call('HSET', KEYS[1], 'labels_kept', cjson.encode(labels_kept)) end
  if not newer_kept then redis.call('EXPIRE', KEYS[1], retention) end
  return not newer_kept
end
"""

# KEYS: the blog's decision kept for an item, the item, its deletion mark. ARGV: how long it is kept (seconds),
# when the decision was made, then the decision's field/value pairs (``at`` among them, the same).
# The blog decided a comment that has no record in Redis (its record may wait in a local spool while Redis is
# away for the process that has it): the decision is kept, in place of one kept before (the blog's last word
# counts; one received after it stays, see KEEP_IN_PLACE), until the record arrives (see the store's RECORD
# script) or the time is up. Checked here, not by the caller beforehand, so that a record stored meanwhile cannot
# miss it. Returns 'kept'; 'exists' when the
# record is there after all (decide it as it stands); 'deleted' when the decision was made no later than the
# blog deleted the comment (within the retention time: it was about a version the deletion keeps out). A
# decision made after the deletion is kept: the blog may have sent the comment again since (the same id), and
# that copy may wait in a spool; a version received before the deletion stays out all the same.
# ``labels_kept`` (a JSON list: the names of corrections kept as labels at once, see api.blog_reports) gathers
# those of the decision replaced with the new one's, so that applying or withdrawing the last word can take
# back the labels of the words before it.
KEEP_DECISION = KEEP_IN_PLACE + """
if redis.call('EXISTS', KEYS[2]) == 1 then return 'exists' end
local deleted = redis.call('GET', KEYS[3])
if deleted and tonumber(deleted) >= tonumber(ARGV[2]) then return 'deleted' end
keep_in_place(ARGV[1], 3)
return 'kept'
"""

# KEYS: the blog's decision kept for an item. ARGV: until when the caller applies it (a lease, seconds since the
# epoch). Its record has arrived: the caller applies the decision kept now, the one the record found or the blog's
# later word kept in its place since (SUPERSEDE_DECISION), unless the blog took it back (marked ``superseded``).
# Reading and holding it are one step, so that a later word cannot land between reading and applying: it waits
# for the lease (see SUPERSEDE_DECISION). Returns its fields, ``applying`` (the lease) among them, else {}.
SETTLE_DECISION = """
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'superseded') == 1 then return {} end
redis.call('HSET', KEYS[1], 'applying', ARGV[1])
return redis.call('HGETALL', KEYS[1])
"""

# KEYS: the blog's decision kept for an item. ARGV: now, how long a decision is kept (seconds), then the blog's
# next word's field/value pairs (none for a take-back). That word is about to be applied to the item: the
# decision kept before it is older, and must not be applied after it. The word is kept in its place (the
# ``labels_kept`` of both gathered, as KEEP_DECISION does; unless the one kept was received after it, see
# KEEP_IN_PLACE), so that if it is not applied now (Redis goes away
# first: a 503 the blog may never retry) the record's next delivery applies it, the blog's last word, and
# neither is lost (until 2026-11-28 the older one was only marked, and both were lost). A take-back is marked
# ``superseded`` instead: nothing is to be applied (its fields stay, for the take-back to withdraw the labels
# it kept, see api.blog_reports.forget_superseded). Returns until when a caller holds the decision to apply it
# now (SETTLE_DECISION's lease, which stays: the word waits for it), else ''.
SUPERSEDE_DECISION = KEEP_IN_PLACE + """
if redis.call('EXISTS', KEYS[1]) == 0 then return '' end
local applying = redis.call('HGET', KEYS[1], 'applying')
if #ARGV > 2 then
  keep_in_place(ARGV[2], 3)
  if applying then redis.call('HSET', KEYS[1], 'applying', applying) end
else
  redis.call('HSET', KEYS[1], 'superseded', '1')
end
if applying and tonumber(applying) > tonumber(ARGV[1]) then return applying end
return ''
"""

# KEYS: the blog's decision kept for an item. ARGV: when it was made ('' = whenever), the caller's lease on it
# (SETTLE_DECISION's ``applying``, '' = none), when the blog took it back ('' = it did not: see below), how long
# a take-back's mark is kept (seconds), who took it back. Forgets it (applied, or taken back by the blog) unless
# another replaced it meanwhile (the blog's later word, SUPERSEDE_DECISION): that one stays, and the caller's
# lease on the one it applied ends, so that the word waiting for it goes on at once. Returns its fields when it
# was forgotten, else an empty list.
# A take-back (the record not here) keeps a mark in its place, kept or not before: ``at`` (when the service
# received the take-back), ``by``, ``taken_back`` and ``superseded`` (nothing to apply, see SETTLE_DECISION). An
# older word whose request stalled and reaches Redis after it then finds a newer one kept, and is not kept in its
# place (see KEEP_IN_PLACE: the mark gathers the labels it kept at once, which the record's delivery takes back);
# a later word replaces the mark (until 2026-11-29 nothing was kept, and the older word was kept and applied when
# the record arrived). A word received after the take-back and kept meanwhile stays.
FORGET_DECISION = """
local at, applying = unpack(redis.call('HMGET', KEYS[1], 'at', 'applying'))
local taken_back = ARGV[3] or ''
if taken_back ~= '' then
  if at and tonumber(at) > tonumber(taken_back) then return {} end
  local fields = redis.call('HGETALL', KEYS[1])
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'at', taken_back, 'by', ARGV[5], 'taken_back', '1', 'superseded', '1')
  redis.call('EXPIRE', KEYS[1], ARGV[4])
  return fields
end
if not at then return {} end
if ARGV[1] ~= '' and at ~= ARGV[1] then
  if ARGV[2] ~= '' and applying == ARGV[2] then redis.call('HDEL', KEYS[1], 'applying') end
  return {}
end
local fields = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
return fields
"""

# KEYS: item. ARGV: author prefix. Returns the item's state ({} fields when it does not exist).
ITEM = COMMON + """
return item_state(KEYS[1], ARGV[1])
"""
