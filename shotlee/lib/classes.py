"""A small built-in drug-class table for `class_overlap` (guide-facts.md section 0).

The guide library extends it later; until then a compound not listed here has
no class and never overlaps.
"""

from __future__ import annotations

import unicodedata

CLASSES: dict[str, tuple[str, ...]] = {
    "5-alpha-reductase inhibitor": ("finasteride", "dutasteride"),
    "minoxidil": ("minoxidil",),
    "incretin agonist": ("semaglutide", "tirzepatide", "liraglutide", "dulaglutide"),
    "androgen": ("testosterone", "testosterone cypionate", "testosterone enanthate"),
}

_BY_COMPOUND = {compound: cls for cls, compounds in CLASSES.items() for compound in compounds}


def compound_key(name: str) -> str:
    """The form compounds are compared in: NFC, lower case, single spaces."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def drug_class(compound: str) -> str:
    key = compound_key(compound)
    if key in _BY_COMPOUND:
        return _BY_COMPOUND[key]
    # "dutasteride mesotherapy", "oral finasteride": a known compound inside a longer name
    for known, cls in _BY_COMPOUND.items():
        if known in key.split() or key.startswith(known + " "):
            return cls
    return ""
