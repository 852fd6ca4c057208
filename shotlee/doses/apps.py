from django.apps import AppConfig


class DosesConfig(AppConfig):
    name = "shotlee.doses"

    def ready(self) -> None:
        from shotlee.doses import export, forms, services
        from shotlee.ledger import kinds
        from shotlee.protocols.models import DOSE

        kinds.register(
            kinds.RecordKind(
                DOSE,
                "Dose",
                services.dose_body,
                services.dose_summary,
                kinds.Corrector(
                    form=forms.DoseCorrectionForm,
                    initial=forms.correction_initial,
                    correct=services.correct_with,
                    label="Some details were wrong (correct them)",
                ),
                correctable=True,
                export=kinds.Export(export.COLUMNS, export.csv_row, export.fhir),
            )
        )
