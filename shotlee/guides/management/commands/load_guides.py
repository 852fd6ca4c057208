from typing import Any

from django.core.management.base import BaseCommand, CommandError

from shotlee.guides.checks import GuideFileError
from shotlee.guides.loader import CONTENT_DIR, load_guides


class Command(BaseCommand):
    help = "Validate the guide files and load them into the database (running it twice changes nothing)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dir", default=str(CONTENT_DIR), help="folder of guide files")

    def handle(self, *args: Any, **options: Any) -> None:
        from pathlib import Path

        try:
            report = load_guides(Path(options["dir"]))
        except GuideFileError as exc:
            raise CommandError(f"guide file invalid: {exc}", returncode=1) from exc
        self.stdout.write(
            f"guides: {len(report.created)} created, {len(report.updated)} updated, {len(report.unchanged)} unchanged"
        )
