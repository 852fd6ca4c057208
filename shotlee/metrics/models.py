from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models


class MetricTypeQuerySet(models.QuerySet["MetricType"]):
    def for_user(self, user: User | int) -> MetricTypeQuerySet:
        return self.filter(user=user)


class MetricType(models.Model):
    """A metric a person defines for themselves (name, unit, optional plausible range)."""

    uid = models.UUIDField(default=uuid.uuid4, editable=False)  # unique per user (Meta)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="metric_types")
    name = models.CharField(max_length=60)
    unit = models.CharField(max_length=20)
    min_value = models.CharField(max_length=40, blank=True, default="")
    max_value = models.CharField(max_length=40, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MetricTypeQuerySet.as_manager()

    class Meta:
        # Every unique key holds the user: the table is distributed by user (docs/deploy.md, "Scaling out").
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="metric_type_user_name"),
            models.UniqueConstraint(fields=["user", "uid"], name="metric_type_user_uid"),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"

    @property
    def key(self) -> str:
        return f"custom:{self.uid}"
