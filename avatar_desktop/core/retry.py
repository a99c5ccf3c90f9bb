"""When to try again: exponential backoff with full jitter and a cap on attempts."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RetryPolicy:
    base_delay_s: float = 1.0
    factor: float = 2.0
    max_delay_s: float = 20.0
    max_attempts: int = 3  # each attempt is a new, billed session: a few, never many
    jitter: float = 0.5  # share of each delay that is random
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def delay_before(self, attempt: int) -> float:
        """Seconds to wait before attempt ``attempt`` (2 is the first retry)."""
        if attempt <= 1:
            return 0.0
        nominal = min(self.max_delay_s, self.base_delay_s * self.factor ** (attempt - 2))
        return nominal * (1 - self.jitter) + nominal * self.jitter * self.rng.random()

    def allows(self, attempt: int) -> bool:
        return attempt <= self.max_attempts
