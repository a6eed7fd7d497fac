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
from app.settings import Settings

Deliver = Callable[[Delivery], Awaitable[None]]
Channels = Mapping[str, Deliver]


class PermanentFailure(Exception):
    """The message can never be delivered; retrying would not help."""


def default_channels(settings: Settings) -> dict[str, Deliver]:
    """The channels of this installation. Other channels (CalDAV, web push) add their
    entry here."""
    from app.notifications.delivery import email_channel, sms_channel

    return {
        "email": email_channel(settings),
        "sms": sms_channel(settings),
    }
