"""The site rotation map: each injection site or scalp zone of a protocol on a body (front and back) or a scalp
(seen from above) drawing, numbered, with its last use and any reactions recorded there in the table beside it.

Sites are the protocol's own words ("abdomen left", "right ventrogluteal", "vertex/crown"); a site the drawing does
not know is still in the table, just not drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# keyword -> (drawing, view, horizontal offset of the person's side from the midline, height)
BODY: tuple[tuple[str, str, int, int], ...] = (
    ("ventrogluteal", "back", 31, 148),
    ("dorsogluteal", "back", 19, 166),
    ("glute", "back", 21, 162),
    ("buttock", "back", 21, 162),
    ("vastus lateralis", "front", 33, 212),
    ("thigh", "front", 20, 205),
    ("deltoid", "front", 47, 84),
    ("arm", "front", 50, 100),
    ("abdomen", "front", 17, 138),
    ("belly", "front", 17, 138),
)
# Seen from above, the face at the top: the person's left is on the left of the drawing.
SCALP: tuple[tuple[str, int, int], ...] = (
    ("hairline", 90, 34),
    ("frontal", 90, 34),
    ("left temple", 42, 58),
    ("right temple", 138, 58),
    ("mid-scalp", 90, 80),
    ("mid scalp", 90, 80),
    ("left parietal", 48, 104),
    ("right parietal", 132, 104),
    ("vertex", 90, 122),
    ("crown", 90, 122),
    ("occipital", 90, 150),
)
FRONT_X, BACK_X = 80, 230


@dataclass
class Site:
    number: int
    name: str
    last_used: float | None = None
    uses: int = 0
    reactions: list[dict[str, Any]] = field(default_factory=list)
    drawing: str = ""  # "body", "scalp" or "" (not drawn)
    x: int = 0
    y: int = 0


def _place(site: Site) -> None:
    name = site.name.casefold()
    for keyword, x, y in SCALP:
        if keyword in name:
            site.drawing, site.x, site.y = "scalp", x, y
            return
    side = 1 if "left" in name else -1 if "right" in name else 0
    for keyword, view, dx, y in BODY:
        if keyword in name:
            # Front view: the person's left is on the right of the drawing; back view: on the left.
            centre = FRONT_X if view == "front" else BACK_X
            site.drawing, site.y = "body", y
            site.x = centre + side * dx if view == "front" else centre - side * dx
            return


def rotation(sites: list[str], doses: list[dict[str, Any]], effects: list[dict[str, Any]]) -> list[Site]:
    """The protocol's sites (and any other site a dose names), in order, with last use, uses and reactions."""
    found: dict[str, Site] = {}
    for name in sites:
        found.setdefault(name.casefold(), Site(len(found) + 1, name))
    for dose in doses:
        if dose["status"] != "effective":
            continue
        for name in dose.get("sites") or []:
            site = found.setdefault(name.casefold(), Site(len(found) + 1, name))
            site.uses += 1
            site.last_used = max(site.last_used or dose["t"], dose["t"])
    for effect in effects:
        if effect.get("site") and effect["site"].casefold() in found:
            found[effect["site"].casefold()].reactions.append(effect)
    for site in found.values():
        _place(site)
    return list(found.values())


def _marker(site: Site, newest: float | None) -> str:
    state = "never" if site.last_used is None else "latest" if site.last_used == newest else "used"
    reaction = " reaction" if site.reactions else ""
    label = f"{site.number}. {site.name}"
    return (
        f'<g class="site {state}{reaction}"><title>{escape(label)}</title>'
        f'<circle cx="{site.x}" cy="{site.y}" r="9"></circle>'
        f'<text x="{site.x}" y="{site.y + 4}" text-anchor="middle">{site.number}</text></g>'
    )


def drawings(sites: list[Site]) -> dict[str, SafeString]:
    """The body and the scalp drawings that have at least one site on them."""
    newest = max((s.last_used for s in sites if s.last_used is not None), default=None)
    out: dict[str, SafeString] = {}
    body = [s for s in sites if s.drawing == "body"]
    if body:
        figure = []
        for centre, caption in ((FRONT_X, "front"), (BACK_X, "back")):
            figure.append(
                f'<g class="figure"><circle cx="{centre}" cy="32" r="18"></circle>'
                f'<rect x="{centre - 30}" y="56" width="60" height="110" rx="14"></rect>'
                f'<rect x="{centre - 50}" y="60" width="16" height="88" rx="8"></rect>'
                f'<rect x="{centre + 34}" y="60" width="16" height="88" rx="8"></rect>'
                f'<rect x="{centre - 28}" y="166" width="25" height="110" rx="10"></rect>'
                f'<rect x="{centre + 3}" y="166" width="25" height="110" rx="10"></rect>'
                f'<text x="{centre}" y="292" text-anchor="middle" class="caption">{caption}</text></g>'
            )
        markers = "".join(_marker(s, newest) for s in body)
        out["body"] = mark_safe(  # noqa: S308  # nosec B703 B308
            '<svg class="site-map" viewBox="0 0 310 300" width="310" height="300" role="img" '
            'aria-labelledby="body-title"><title id="body-title">Injection sites on the body, numbered as in the '
            f"table; front view with your left on the right, back view with your left on the left</title>{''.join(figure)}"
            f"{markers}</svg>"
        )
    scalp = [s for s in sites if s.drawing == "scalp"]
    if scalp:
        markers = "".join(_marker(s, newest) for s in scalp)
        out["scalp"] = mark_safe(  # noqa: S308  # nosec B703 B308
            '<svg class="site-map" viewBox="0 0 180 180" width="180" height="180" role="img" '
            'aria-labelledby="scalp-title"><title id="scalp-title">Scalp zones seen from above, the face at the top, '
            'numbered as in the table</title><g class="figure"><ellipse cx="90" cy="92" rx="70" ry="80"></ellipse>'
            '<path d="M82 12 L90 2 L98 12"></path></g>'
            f"{markers}</svg>"
        )
    return out
