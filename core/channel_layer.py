"""channels_redis's layer, with several group sends in two Redis round trips (`group_send_many`).

`channels_redis.core.RedisChannelLayer.group_send` costs four round trips per group (expire the
group, read its members, expire each member's queue, then a Lua script adding the message to
each queue). The realtime publisher (core/realtime.py) often holds several pushes at once: a
decision tells the customer's conversation and the operators' inbox; under load, pushes queue
up. `group_send_many` sends them all in two round trips: one pipeline expiring and reading every
group, then one script that expires each member queue and adds every message, in the order
given. The messages, their queues and capacities are channels_redis's own (its
`_map_channel_keys_to_connection`), so receivers are the unchanged channels_redis ones.

Order: channels_redis queues are sorted sets scored by send time, popped lowest first. Messages
sent together get strictly increasing scores, and a process never reuses a score (a send in
the same microsecond as the last one is scored after it), so a queue pops them in the order
they were given, as separate `group_send`s would.

With more than one Redis host (sharded layer) it falls back to one `group_send` per push.

Group memberships are kept, too. Redis holds them (a sorted set per group) and nothing else
does: a Redis restarted without persistence, a failover to an empty replica, or a membership
older than `group_expiry` (a day) left a socket open, answering pings, and receiving nothing
pushed to it again (found by the outside chaos run). The layer remembers the memberships its
process's sockets hold and, every `PARLEY_CHANNEL_GROUP_CHECK_SECONDS`, adds them again in
pipelines of `CHECK_BATCH`; a socket whose membership Redis had lost is sent `layer.memberships_lost`, which the
consumers answer by closing with 4503 so the client reconnects and fetches what it missed.
"""

import asyncio
import hashlib
import logging
import time

from channels_redis.core import RedisChannelLayer as _RedisChannelLayer
from redis.exceptions import NoScriptError

logger = logging.getLogger(__name__)

# KEYS: one member queue per message; ARGV: the messages, their queues' capacities, their
# scores, then the oldest score kept and the queues' expiry in seconds.
_SEND_MANY_LUA = """
local n = #KEYS
local expire_before = tonumber(ARGV[3 * n + 1])
local expiry = ARGV[3 * n + 2]
local over_capacity = 0
for i = 1, n do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, expire_before)
    if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[n + i]) then
        redis.call('ZADD', KEYS[i], ARGV[2 * n + i], ARGV[i])
        redis.call('EXPIRE', KEYS[i], expiry)
    else
        over_capacity = over_capacity + 1
    end
end
return over_capacity
"""

_SEND_MANY_SHA = hashlib.sha1(_SEND_MANY_LUA.encode(), usedforsecurity=False).hexdigest()  # what Redis names it by
_SCORE_STEP = 1e-6  # seconds between the scores of two messages sent together
# Memberships re-added per pipeline by `memberships_check`.
CHECK_BATCH = 1000


class RedisChannelLayer(_RedisChannelLayer):
    """`channels_redis.core.RedisChannelLayer` plus `group_send_many` and kept group memberships."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._last_score = 0.0
        # Per event loop (a Daphne has one; tests and sync callers start others): the sockets of
        # a loop that has ended are nobody's to keep.
        self._memberships: dict[asyncio.AbstractEventLoop, dict[str, set[str]]] = {}
        self._keepers: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}

    def _loop_memberships(self) -> dict[str, set[str]]:
        for loop in [loop for loop in self._memberships if loop.is_closed()]:
            del self._memberships[loop]
            self._keepers.pop(loop, None)
        return self._memberships.setdefault(asyncio.get_running_loop(), {})

    async def group_add(self, group: str, channel: str) -> None:
        await super().group_add(group, channel)
        self._loop_memberships().setdefault(channel, set()).add(group)
        loop = asyncio.get_running_loop()
        keeper = self._keepers.get(loop)
        if keeper is None or keeper.done():
            self._keepers[loop] = loop.create_task(self._memberships_keep())

    async def group_discard(self, group: str, channel: str) -> None:
        memberships = self._loop_memberships()
        groups = memberships.get(channel)
        if groups is not None:
            groups.discard(group)
            if not groups:
                del memberships[channel]
        if not memberships:  # the loop's last socket left: nothing to keep
            keeper = self._keepers.pop(asyncio.get_running_loop(), None)
            if keeper is not None and keeper is not asyncio.current_task():
                keeper.cancel()
        await super().group_discard(group, channel)

    async def _memberships_keep(self) -> None:
        from django.conf import settings

        while self._loop_memberships():
            await asyncio.sleep(settings.PARLEY_CHANNEL_GROUP_CHECK_SECONDS)
            try:
                await self.memberships_check()
            except Exception:  # Redis away: the next round tries again
                logger.warning("group memberships could not be checked", exc_info=True)

    async def memberships_check(self) -> list[str]:
        """Add every membership this process holds again (a fresh score, the group's expiry
        renewed); send `layer.memberships_lost` to each channel Redis no longer had in a group.
        Returns those channels."""
        memberships = self._loop_memberships()
        pairs = [(channel, group) for channel, groups in list(memberships.items()) for group in groups]
        by_shard: dict[int, list[tuple[str, str]]] = {}
        for channel, group in pairs:
            by_shard.setdefault(self.consistent_hash(group), []).append((channel, group))
        lost: set[str] = set()
        now = time.time()
        for shard, shard_pairs in by_shard.items():
            # Pipelines of at most CHECK_BATCH memberships: a Daphne holding tens of thousands
            # of sockets does not send Redis one burst of them all, which every other client of
            # that Redis would wait behind.
            for start in range(0, len(shard_pairs), CHECK_BATCH):
                batch = shard_pairs[start : start + CHECK_BATCH]
                pipe = self.connection(shard).pipeline(transaction=False)
                for channel, group in batch:
                    pipe.zadd(self._group_key(group), {channel: now})  # 1 when it was not there any more
                    pipe.expire(self._group_key(group), self.group_expiry)
                replies = await pipe.execute()
                lost.update(channel for (channel, _), added in zip(batch, replies[0::2], strict=True) if added)
        for channel in sorted(lost):
            await self.send(channel, {"type": "layer.memberships_lost"})
        if lost:
            logger.warning("%d sockets had lost their group memberships in Redis; told to reconnect", len(lost))
        return sorted(lost)

    def _scores(self, count: int) -> list[float]:
        start = max(time.time(), self._last_score + _SCORE_STEP)
        scores = [start + i * _SCORE_STEP for i in range(count)]
        self._last_score = scores[-1]
        return scores

    async def group_send_many(self, sends: list[tuple[str, dict]]) -> None:
        """`group_send(group, message)` for each pair, in order, in two round trips to Redis.
        All or nothing: the messages are added by one script."""
        if self.ring_size != 1:
            for group, message in sends:
                await self.group_send(group, message)
            return
        for group, _ in sends:
            assert self.require_valid_group_name(group), "Group name not valid"
        connection = self.connection(0)
        pipe = connection.pipeline(transaction=False)
        group_expired_before = int(time.time()) - self.group_expiry
        for group, _ in sends:
            key = self._group_key(group)
            pipe.zremrangebyscore(key, min=0, max=group_expired_before)
            pipe.zrange(key, 0, -1)
        replies = await pipe.execute()

        keys: list[bytes | str] = []
        messages: list[bytes] = []
        capacities: list[int] = []
        for index, (_group, message) in enumerate(sends):
            members = [name.decode("utf8") for name in replies[2 * index + 1]]
            if not members:
                continue
            by_connection, key_messages, key_capacities = self._map_channel_keys_to_connection(members, message)
            for channel_keys in by_connection.values():
                for channel_key in channel_keys:
                    keys.append(channel_key)
                    messages.append(key_messages[channel_key])
                    capacities.append(key_capacities[channel_key])
        if not keys:
            return
        args = (
            *keys,
            *messages,
            *capacities,
            *self._scores(len(keys)),
            int(time.time()) - int(self.expiry),
            int(self.expiry),
        )
        try:  # the script by its digest (Redis keeps it once it has seen it), else in full
            over_capacity = await connection.evalsha(_SEND_MANY_SHA, len(keys), *args)
        except NoScriptError:
            over_capacity = await connection.eval(_SEND_MANY_LUA, len(keys), *args)
        if over_capacity:
            logger.warning("%d of %d pushes dropped: their queues were at capacity", over_capacity, len(keys))
