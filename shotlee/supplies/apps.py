from django.apps import AppConfig


class SuppliesConfig(AppConfig):
    name = "shotlee.supplies"

    def ready(self) -> None:
        from shotlee.ledger import kinds
        from shotlee.supplies import export, models, services

        kinds.register(
            kinds.RecordKind(
                models.SUPPLY,
                "Supply",
                services.supply_body,
                services.supply_summary,
                export=kinds.Export(export.COLUMNS, export.csv_row),
            )
        )
