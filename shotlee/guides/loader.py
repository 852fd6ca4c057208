"""Load guide files into the database: idempotent, versioned by content hash."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from shotlee.guides.checks import GuideFileError
from shotlee.guides.models import Guide, GuideVersion
from shotlee.guides.render import render_guide
from shotlee.guides.schema import validate

CITATION_WITH_SPACE = re.compile(r"\s*\[S:[a-z0-9-]+\]")
CONTENT_DIR = Path(__file__).resolve().parent / "content"


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def read_guide(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise GuideFileError(path.name, "(file)", f"not valid YAML: {exc}") from None
    return validate(data, path.name)


def canonical_text(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_text(data).encode()).hexdigest()


def load_guides(directory: Path = CONTENT_DIR) -> LoadReport:
    """Validate every file first, then write; one bad file loads nothing."""
    guides = [read_guide(path) for path in sorted(directory.glob("*.yaml"))]
    report = LoadReport()
    with transaction.atomic():
        for data in guides:
            digest = content_hash(data)
            text = canonical_text(data)
            GuideVersion.objects.get_or_create(slug=data["slug"], content_hash=digest, defaults={"content": text})
            current = Guide.objects.filter(slug=data["slug"]).first()
            if current is not None and current.content_hash == digest:
                report.unchanged.append(data["slug"])
                continue
            values = {
                "title": data["title"],
                "summary": CITATION_WITH_SPACE.sub("", data["summary"]).strip(),  # plain, for lists
                "status": data["status"],
                "drug_class": data["drug_class"],
                "route": data["route"],
                "goals": ",".join(data["goals"]),
                "compounds": ",".join(data["compounds"]),
                "content": text,
                "html": json.dumps(render_guide(data)),
                "content_hash": digest,
            }
            Guide.objects.update_or_create(slug=data["slug"], defaults=values)
            (report.updated if current else report.created).append(data["slug"])
    return report
