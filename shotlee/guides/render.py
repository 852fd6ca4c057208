"""Markdown to HTML, once, at load time; [S:key] citations become numbered links to the source list."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import markdown

CITATION = re.compile(r"\[S:([a-z0-9-]+)\]")
# The guide files keep their authors' shorthand (a "COMPUTED:" marker for our own arithmetic, "168 h"); a person
# reads words: "Our arithmetic:", "168 hours".
SHORTHAND = ((re.compile(r"\bCOMPUTED:"), "Our arithmetic:"), (re.compile(r"(\d) h\b"), r"\1 hours"))


def plain_words(text: str) -> str:
    for pattern, words in SHORTHAND:
        text = pattern.sub(words, text)
    return text


def _cite(numbers: dict[str, int]) -> Callable[[re.Match[str]], str]:
    def cite(match: re.Match[str]) -> str:
        key = match.group(1)
        return f'<sup class="cite"><a href="#src-{key}" aria-label="source {numbers[key]}">[{numbers[key]}]</a></sup>'

    return cite


def render(text: str, numbers: dict[str, int]) -> str:
    escaped = html.escape(plain_words(text), quote=False)  # guide files are ours, but raw HTML has no place in them
    return str(markdown.markdown(CITATION.sub(_cite(numbers), escaped), extensions=["sane_lists"]))


def render_inline(text: str, numbers: dict[str, int]) -> str:
    """One line of plain text with its citations as links: no Markdown, no paragraph."""
    return CITATION.sub(_cite(numbers), html.escape(plain_words(text), quote=False))


def render_guide(data: dict[str, Any]) -> dict[str, Any]:
    numbers = {source["key"]: i + 1 for i, source in enumerate(data["sources"])}
    fields = ("summary", "device", "deep_dive", "mechanism", "standardization_note", "side_effects_note")
    out: dict[str, Any] = {f: render(data[f], numbers) for f in fields if data.get(f)}
    out["faq"] = [{"q": item["q"], "a": render(item["a"], numbers)} for item in data["faq"]]
    out["regimens"] = {}
    for regimen in data["regimens"]:
        pk = regimen.get("pk") or {}
        missed = regimen.get("missed_dose") or {}
        out["regimens"][regimen["key"]] = {
            "notes": render_inline(regimen["notes"], numbers),
            "pk_note": render_inline(pk.get("note") or regimen.get("pk_note") or "", numbers),
            "missed_dose": render_inline(missed.get("text", ""), numbers),
        }
    out["numbers"] = numbers
    return out
