from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "shotlee.metrics"

    def ready(self) -> None:
        from shotlee.ledger import kinds
        from shotlee.metrics import export, forms, services

        kinds.register(
            kinds.RecordKind(
                services.METRIC,
                "Health metric",
                services.metric_body,
                services.metric_summary,
                kinds.Corrector(
                    form=forms.ReadingCorrectionForm,
                    initial=forms.correction_initial,
                    done="metrics:list",
                    correct=services.correct_metric,
                    label="The value was wrong (correct it)",
                ),
                correctable=True,
                export=kinds.Export(export.COLUMNS, export.csv_row, export.fhir),
            )
        )
