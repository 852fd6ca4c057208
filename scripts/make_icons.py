"""Draw the app's PNG icons (static/icons/icon-192.png and icon-512.png) from the same shapes as icon.svg.

Run once after changing the icon: `.venv/bin/python scripts/make_icons.py`. Pillow is already a running
dependency (requirements.txt), so no new package is needed. The PNGs are full-bleed squares with the mark inside
the central 60 %, so they also work as "maskable" icons that phones crop to a circle or a rounded square.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

BLUE = (11, 95, 255)
WHITE = (255, 255, 255)
ICONS = Path(__file__).resolve().parent.parent / "static" / "icons"


def draw(size: int) -> Image.Image:
    scale = 4  # drawn large and scaled down: smooth edges without an anti-aliasing option in ImageDraw
    big = size * scale
    image = Image.new("RGB", (big, big), BLUE)
    pen = ImageDraw.Draw(image)
    unit = big / 32  # the SVG's 32 x 32 grid, shrunk to the maskable safe zone around the centre
    shrink, offset = 0.6, big * 0.2

    def at(x: float, y: float) -> tuple[float, float]:
        return (offset + x * unit * shrink, offset + y * unit * shrink)

    width = round(3.2 * unit * shrink)
    pen.line([at(6, 26), at(26, 6)], fill=WHITE, width=width)
    pen.line([at(12, 6), at(26, 6), at(26, 20)], fill=WHITE, width=width, joint="curve")
    for x, y in ((6, 26), (12, 6), (26, 20)):  # round caps
        cx, cy = at(x, y)
        pen.ellipse([cx - width / 2, cy - width / 2, cx + width / 2, cy + width / 2], fill=WHITE)
    return image.resize((size, size), Image.Resampling.LANCZOS)


if __name__ == "__main__":
    for size in (192, 512):
        draw(size).save(ICONS / f"icon-{size}.png", optimize=True)
        print(f"wrote static/icons/icon-{size}.png")
