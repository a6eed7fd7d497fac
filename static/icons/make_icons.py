"""Draws the app icons (run once; the PNGs are committed): `python static/icons/make_icons.py`.

A white calendar page with a check mark on the default blue of the citizen pages. The
maskable icon keeps the drawing inside the central 80 % circle (the safe zone) on a
full-bleed background; the others have rounded corners. Pure Python (zlib), no dependency.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
BLUE = (0x00, 0x00, 0x91)
WHITE = (0xFF, 0xFF, 0xFF)
SAMPLES = 3  # supersampling per axis, for smooth edges


def _inside_rounded(x: float, y: float, left, top, right, bottom, radius) -> bool:
    if not (left <= x <= right and top <= y <= bottom):
        return False
    cx = min(max(x, left + radius), right - radius)
    cy = min(max(y, top + radius), bottom - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius**2


def _near_segment(x, y, a, b, width) -> bool:
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    px, py = ax + t * dx, ay + t * dy
    return (x - px) ** 2 + (y - py) ** 2 <= (width / 2) ** 2


def _colour(u: float, v: float, maskable: bool) -> tuple[int, int, int, int]:
    """The colour at (u, v) in [0, 1]² of the icon."""
    if not maskable and not _inside_rounded(u, v, 0, 0, 1, 1, 0.18):
        return (0, 0, 0, 0)
    # The drawing, scaled into the safe zone for the maskable icon.
    scale, offset = (0.62, 0.19) if maskable else (0.78, 0.11)
    x, y = (u - offset) / scale, (v - offset) / scale
    page = _inside_rounded(x, y, 0.08, 0.14, 0.92, 0.92, 0.08)
    header = page and y < 0.34
    rings = any(_inside_rounded(x, y, rx, 0.04, rx + 0.08, 0.24, 0.04) for rx in (0.26, 0.66))
    tick = _near_segment(x, y, (0.30, 0.62), (0.45, 0.77), 0.09) or _near_segment(
        x, y, (0.45, 0.77), (0.72, 0.48), 0.09
    )
    if rings:
        return (*WHITE, 255)
    if page and not header:
        return (*(BLUE if tick else WHITE), 255)
    if header:
        return (0xC8, 0xD2, 0xF0, 255)
    return (*BLUE, 255)


def render(size: int, maskable: bool) -> bytes:
    rows = bytearray()
    step = 1 / (size * SAMPLES)
    for row in range(size):
        rows.append(0)  # filter: none
        for column in range(size):
            total = [0, 0, 0, 0]
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    u = (column * SAMPLES + sx + 0.5) * step
                    v = (row * SAMPLES + sy + 0.5) * step
                    for i, value in enumerate(_colour(u, v, maskable)):
                        total[i] += value
            rows.extend(round(value / SAMPLES**2) for value in total)
    return _png(size, bytes(rows))


def _png(size: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    for name, size, maskable in (
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("icon-maskable-512.png", 512, True),
    ):
        (HERE / name).write_bytes(render(size, maskable))
        print(name)
