"""The drill's virtual clock: minutes after the scenario start, at live pace, accelerated, or instant."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from coordinator.drills.scenario import MAX_SPEED

# While waiting at live or accelerated pace, wake at least this often (real seconds) so that the runner
# can stamp the virtual time and plan for needs that people entered on the pages meanwhile.
WAKE_SECONDS = 5.0


class VirtualClock:
    """Virtual minutes since the drill's start; `speed` None means instant (never sleeps)."""

    def __init__(self, speed: float | None, *, sleep: Callable[[float], None] = time.sleep) -> None:
        if speed is not None and not 1 <= speed <= MAX_SPEED:
            raise ValueError(f"speed must be between 1 and {MAX_SPEED}, or instant")
        self.speed = speed
        self.minute = 0.0
        self._sleep = sleep

    @property
    def instant(self) -> bool:
        """True when the clock jumps without waiting."""
        return self.speed is None

    def advance_to(self, minute: float) -> Iterator[float]:
        """Move to `minute`; at a paced speed, sleep and yield the virtual time at each wake-up on the way."""
        if minute <= self.minute:
            return
        if self.speed is None:
            self.minute = minute
            return
        while self.minute < minute:
            step = min(minute - self.minute, WAKE_SECONDS * self.speed / 60.0)
            self._sleep(step * 60.0 / self.speed)
            self.minute += step
            if self.minute < minute:
                yield self.minute
        self.minute = minute
