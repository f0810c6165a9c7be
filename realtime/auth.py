"""What realtime asks of the application about a subscriber: two rules, given as callables.

realtime knows events, not roles: who a subscriber is (the principal) is opaque here, and the application
decides what it may see and subscribe to (ouen's rules: coordinator/live/visibility.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from realtime.protocol import Envelope, Subscription

# May this subscriber see this event? Called for every event and subscriber (keep it cheap).
CanSee = Callable[[Any, Envelope], bool]
# Refuse a subscription that could never be shown: raise SubscriptionError (code 4403).
Authorize = Callable[[Any, Subscription], None]
