"""Run a coroutine synchronously up to its first suspension, and finish it in a task only if it suspends.

A websocket send whose transport is below its high-water mark never suspends, so a fan-out loop can
send to thousands of sockets without creating a task or awaiting per client; only a client whose buffer
is full costs a task. (Python 3.12's eager task factory does the same; we support 3.11.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any


class _Reyield:
    """Awaitable that hands a value yielded by an inner coroutine up to the running task, once."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __await__(self) -> Generator[Any, Any, Any]:
        return (yield self.value)


async def _resume(coro: Coroutine[Any, Any, Any], yielded: Any) -> None:
    """Drive a coroutine that already ran to a suspension point, inside the current task."""
    while True:
        try:
            sent = await _Reyield(yielded)
        except BaseException as exc:  # cancellation and errors go to the inner coroutine
            try:
                yielded = coro.throw(exc)
            except StopIteration:
                return
        else:
            try:
                yielded = coro.send(sent)
            except StopIteration:
                return


def start_eagerly(coro: Coroutine[Any, Any, Any]) -> Coroutine[Any, Any, None] | None:
    """Step `coro`; None if it completed, else a coroutine that finishes it (raises what `coro` raised)."""
    try:
        yielded = coro.send(None)
    except StopIteration:
        return None
    return _resume(coro, yielded)


def spawn_rest(rest: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
    """Finish a suspended coroutine from start_eagerly in its own task."""
    return asyncio.get_running_loop().create_task(rest)
