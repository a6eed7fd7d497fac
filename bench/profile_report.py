"""Where the server's time goes, from a py-spy raw profile (`--threads --format raw`).

    .venv/bin/python -m bench.profile_report FILE [--top 20]

The benchmarks write FILE with `--profile FILE`. Samples are non-idle stacks, taken at a
fixed rate: their count is proportional to CPU time. The event loop runs in the main
thread; aiosqlite runs each SQLite connection in a thread of its own, where SQLite's C code
runs without the GIL, so those threads are counted apart.

Each sample of the main thread goes to one layer: the layer of its innermost frame that
belongs to a known package (a frame of the standard library, e.g. `re` or `json`, counts
for whoever called it).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME_RE = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")

# (layer, file path prefixes); the first match wins, so specific prefixes come first.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("engine (availability.py)", ("app/booking/availability.py",)),
    (
        "templating (Jinja)",
        (
            "jinja2/",
            "jinja2_fragments/",
            "markupsafe/",
            "components/",
            "app/web/formatting.py",
            "app/web/rendering.py",
        ),
    ),
    ("SQLAlchemy", ("sqlalchemy/", "app/db/types.py")),
    ("database driver", ("aiosqlite/", "asyncpg/", "sqlite3/")),
    ("Litestar", ("litestar/", "msgspec/", "multipart/", "litestar_htmx/")),
    ("HTTP server (uvicorn, h11)", ("uvicorn/", "h11/")),
    ("asyncio event loop", ("asyncio/", "selectors.py")),
    ("Créneau, other code", ("app/",)),
    ("other libraries", ("holidays/", "zoneinfo/", "email_validator/", "phonenumbers/")),
]


def parse(path: Path) -> list[tuple[str, list[tuple[str, str]], int]]:
    """(thread name, frames root first as (function, file), sample count)."""
    samples = []
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        parts = stack.split(";")
        thread = parts[0].split(":", 1)[-1].strip() if parts[0].startswith("thread") else ""
        frames = []
        for part in parts[1:] if thread else parts:
            match = FRAME_RE.match(part)
            if match:
                frames.append((match["function"], match["file"]))
        samples.append((thread, frames, int(count)))
    return samples


def layer_of(frames: list[tuple[str, str]]) -> str:
    for _function, file in reversed(frames):
        for layer, prefixes in LAYERS:
            if file.startswith(prefixes):
                return layer
    return "other (standard library, interpreter)"


def share(part: int, whole: int) -> str:
    return f"{part / whole:6.1%}" if whole else "   –"


def report(path: Path, top: int = 20) -> str:
    samples = parse(path)
    main = [(frames, n) for thread, frames, n in samples if thread == "MainThread"]
    others = Counter()
    for thread, _frames, n in samples:
        if thread != "MainThread":
            others[re.sub(r"[-_ ]?\d+", "", thread) or "?"] += n
    main_total = sum(n for _, n in main)
    lines = [
        f"{path}: {main_total} samples in the event-loop thread, "
        f"{sum(others.values())} in other threads "
        f"({', '.join(f'{name}: {n}' for name, n in others.most_common())})",
        "",
    ]

    layers = Counter()
    for frames, n in main:
        layers[layer_of(frames)] += n
    lines.append("Event-loop thread, by layer (self time):")
    lines += [f"  {share(n, main_total)}  {layer}" for layer, n in layers.most_common()]

    leaves = Counter()
    inclusive_app = Counter()
    for frames, n in main:
        if frames:
            function, file = frames[-1]
            leaves[f"{function} ({file})"] += n
        seen = set()
        for function, file in frames:
            if file.startswith("app/") and (function, file) not in seen:
                seen.add((function, file))
                inclusive_app[f"{function} ({file})"] += n
    lines += ["", f"Top {top} functions by self time (event-loop thread):"]
    lines += [f"  {share(n, main_total)}  {name}" for name, n in leaves.most_common(top)]
    lines += ["", f"Top {top} functions of app/ by inclusive time (event-loop thread):"]
    lines += [f"  {share(n, main_total)}  {name}" for name, n in inclusive_app.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Summarise a py-spy raw profile.")
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    print(report(args.profile, args.top))


if __name__ == "__main__":
    main()
