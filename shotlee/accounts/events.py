"""Security events of accounts and access: the project-wide structured lines of `shotlee.lib.audit`.

    events.event("twostep.enabled", actor=user.pk)

Identifiers only (user ids, paths, codes); a name typed by someone not signed in goes in as `pseudonym()`.
"""

from __future__ import annotations

from shotlee.lib.audit import event, pseudonym

__all__ = ["event", "pseudonym"]
