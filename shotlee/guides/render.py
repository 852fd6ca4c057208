"""Markdown to HTML, once, at load time; [S:key] citations become numbered links to the source list."""

from __future__ import annotations

import html
import re
from typing import Any

import markdown

CITATION = re.compile(r"\[S:([a-z0-9-]+)\]")


def render(text: str, numbers: dict[str, int]) -> str:
    escaped = html.escape(text, quote=False)  # guide files are ours, but raw HTML has no place in them

    def cite(match: re.Match[str]) -> str:
        key = match.group(1)
        return f'<sup class="cite"><a href="#src-{key}" aria-label="source {numbers[key]}">[{numbers[key]}]</a></sup>'

    return markdown.markdown(CITATION.sub(cite, escaped), extensions=["sane_lists"])


def render_guide(data: dict[str, Any]) -> dict[str, Any]:
    numbers = {source["key"]: i + 1 for i, source in enumerate(data["sources"])}
    fields = ("summary", "device", "deep_dive", "mechanism", "standardization_note", "side_effects_note")
    out: dict[str, Any] = {f: render(data[f], numbers) for f in fields if data.get(f)}
    out["faq"] = [{"q": item["q"], "a": render(item["a"], numbers)} for item in data["faq"]]
    out["numbers"] = numbers
    return out
