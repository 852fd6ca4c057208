from django.apps import AppConfig


class SymptomsConfig(AppConfig):
    name = "shotlee.symptoms"

    def ready(self) -> None:
        from shotlee.ledger import kinds
        from shotlee.symptoms import export, forms, services

        kinds.register(
            kinds.RecordKind(
                services.SIDE_EFFECT,
                "Side effect",
                services.side_effect_body,
                services.side_effect_summary,
                kinds.Corrector(
                    form=forms.SideEffectCorrectionForm,
                    initial=forms.correction_initial,
                    done="symptoms:list",
                    correct=services.correct_side_effect,
                    label="It ended, or the details were wrong (correct it)",
                ),
                correctable=True,
                export=kinds.Export(export.COLUMNS, export.csv_row, export.fhir),
            )
        )
