from django.apps import AppConfig


class ProtocolsConfig(AppConfig):
    name = "shotlee.protocols"

    def ready(self) -> None:
        from shotlee.ledger import kinds
        from shotlee.protocols import export, services
        from shotlee.protocols.models import PROTOCOL

        kinds.register(
            kinds.RecordKind(
                PROTOCOL,
                "Protocol version",
                services.version_body,
                services.version_summary,
                export=kinds.Export(export.COLUMNS, export.csv_row),
            )
        )
