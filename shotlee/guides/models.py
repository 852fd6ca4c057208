"""The guide library: loaded from content/*.yaml, versioned by content hash."""

from __future__ import annotations

import json
from typing import Any

from django.db import models


class GuideQuerySet(models.QuerySet["Guide"]):
    def search(self, text: str) -> GuideQuerySet:
        if not text:
            return self
        return self.filter(
            models.Q(title__icontains=text) | models.Q(summary__icontains=text) | models.Q(compounds__icontains=text)
        )


class Guide(models.Model):
    """The current version of each guide (public data, not a user's)."""

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField()
    status = models.CharField(max_length=20)
    drug_class = models.CharField(max_length=60)
    route = models.CharField(max_length=20)
    goals = models.CharField(max_length=200)  # comma-separated, for filtering
    compounds = models.CharField(max_length=200)  # comma-separated
    content = models.TextField()  # the validated guide as canonical JSON
    html = models.TextField(default="{}")  # Markdown fields rendered once at load, as JSON
    content_hash = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GuideQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    @property
    def data(self) -> dict[str, Any]:
        if not hasattr(self, "_data"):
            self._data: dict[str, Any] = json.loads(self.content)
        return self._data

    @property
    def rendered(self) -> dict[str, Any]:
        rendered: dict[str, Any] = json.loads(self.html)
        return rendered

    def regimen(self, key: str) -> dict[str, Any] | None:
        return next((r for r in self.data["regimens"] if r["key"] == key), None)


class GuideVersion(models.Model):
    """Every version ever loaded, so a protocol can point at the exact text it started from."""

    slug = models.SlugField(max_length=80)
    content_hash = models.CharField(max_length=64)
    content = models.TextField()
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["slug", "content_hash"], name="guide_version_unique")]

    def __str__(self) -> str:
        return f"{self.slug}@{self.content_hash[:8]}"
