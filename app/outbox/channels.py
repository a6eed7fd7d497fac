"""Channels: each outbox message names one, and the worker hands it to that channel's
deliver function. A deliver function returns when the message is delivered, raises
`PermanentFailure` when it never will be (address refused…), and raises anything else for
a temporary failure (retried later).

Channels must tolerate a second delivery of the same message: a worker can die after
delivering and before recording it (see docs/DECISIONS.md, the outbox guarantee).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from app.outbox.store import Delivery

Deliver = Callable[[Delivery], Awaitable[None]]
Channels = Mapping[str, Deliver]


class PermanentFailure(Exception):
    """The message can never be delivered; retrying would not help."""
