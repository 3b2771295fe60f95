from __future__ import annotations

from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from surveys.services.text_training import NotEnoughLabels, text_models_train


class Command(BaseCommand):
    help = (
        "Train the negative-flag model and the theme classifier from every labelled comment (imported, corrected "
        "by staff, weak labels from scores), print cross-validated figures, and make the new models active."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--folds", type=int, default=5, help="Cross-validation folds for the figures (0: skip).")

    def handle(self, *args: Any, **options: Any) -> None:
        bars: dict[str, tqdm] = {}  # type: ignore[type-arg]

        def progress(step: str, done: int, total: int) -> None:
            if options["verbosity"] == 0:
                return
            if step not in bars:
                bars[step] = tqdm(desc=step, total=total, file=cast(IO[str], self.stderr._out))
            bar = bars[step]
            bar.n = done
            bar.refresh()

        try:
            report = text_models_train(folds=options["folds"], progress=progress)
        except NotEnoughLabels as exc:
            raise CommandError(str(exc)) from None
        finally:
            for bar in bars.values():
                bar.close()
        self.stdout.write(
            self.style.SUCCESS(f"negative flag: {report.negative_version} from {report.negative_examples} comments")
        )
        for name, value in report.negative_figures.items():
            self.stdout.write(f"  {name:10s} {value:.3f}")
        if report.themes_version:
            self.stdout.write(
                self.style.SUCCESS(f"themes: {report.themes_version} from {report.theme_examples} comments")
            )
            for name, value in report.theme_figures.items():
                self.stdout.write(f"  {name:10s} {value:.3f}")
        for note in report.notes:
            self.stdout.write(f"note: {note}")
        self.stdout.write("Run `python manage.py reanalyze_responses` to apply the new models to past answers.")
