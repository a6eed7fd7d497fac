"""The instant the whole suite runs at (docs/DEVELOPMENT.md, « the frozen instant »).

Monday 30 November 2026, 08:00 in Paris, unless CRENEAU_TEST_NOW gives another (ISO 8601
with its offset). It is exported as CRENEAU_FROZEN_NOW, so the servers and commands the
tests start run at the same instant as the tests' own clock.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

DEFAULT_TEST_NOW = "2026-11-30T08:00:00+01:00"

TEST_NOW = datetime.fromisoformat(os.environ.get("CRENEAU_TEST_NOW") or DEFAULT_TEST_NOW)
if TEST_NOW.tzinfo is None:
    raise RuntimeError("CRENEAU_TEST_NOW needs an offset, e.g. 2026-12-05T11:55:00+01:00")
FIXED_NOW = TEST_NOW.astimezone(UTC)

os.environ["CRENEAU_FROZEN_NOW"] = FIXED_NOW.isoformat()
# Every page a test's server draws sees every change at once (step 5's shared week,
# decision 74, has its own tests: tests/integration/test_shared_weeks.py).
os.environ["CRENEAU_SHARED_WEEK_SECONDS"] = "0"
