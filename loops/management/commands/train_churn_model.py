from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from loops.health.churn import NotEnoughData
from loops.services.churn import churn_model_train
from vocplatform.progress import progress_bar


class Command(BaseCommand):
    help = (
        "Train the churn model on accounts whose outcome is known (churned or retained), choosing between "
        "regularised logistic regression and gradient boosting by cross-validated ROC AUC; calibrate, store a "
        "new active version and score every current account."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--folds", type=int, default=5, help="Cross-validation folds (default 5).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["folds"] < 2:
            raise CommandError("--folds must be at least 2.")
        with progress_bar(self.stderr, desc="training", unit="step", verbosity=options["verbosity"]) as progress:
            try:
                version, report = churn_model_train(folds=options["folds"], progress=progress)
            except NotEnoughData as exc:
                raise CommandError(f"No model stored: {exc}") from None
        candidates = ", ".join(f"{name} {auc:.3f}" for name, auc in report.cv_auc.items())
        self.stdout.write(f"candidates by cross-validated ROC AUC: {candidates}; chosen: {report.chosen}")
        self.stdout.write(
            f"out-of-fold, calibrated: ROC AUC {report.roc_auc:.3f}, PR AUC {report.pr_auc:.3f}, "
            f"Brier {report.brier:.3f} on {report.n} accounts ({report.positives} churned)"
        )
        self.stdout.write(self.style.SUCCESS(f"stored {version.version} and scored the current accounts"))
