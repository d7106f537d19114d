"""One result row per epoch in a trial's result.json and progress.csv, from reports that may stand
for several epochs.

A trial of millisecond epochs reports to Tune once for the epochs of a fraction of a second
(`train.cadence.ReportCadence`), and each report carries the rows of the epochs it stands for
(`EPOCH_ROWS`, its own last). Tune writes one row per report; these loggers write one per epoch
instead, the rows every-epoch reports would have written, so whatever reads the rows epoch by
epoch reads every epoch. The fields Tune adds itself (`training_iteration`, which counts reports,
`time_this_iter_s`, `timestamp`) are those of the report that delivered the row.
"""

from __future__ import annotations

from ray.tune.logger import CSVLoggerCallback, JsonLoggerCallback

from orchestrator.train.cadence import EPOCH_ROWS


def epoch_rows(result: dict) -> list[dict]:
    """A report's rows, one per epoch it stands for: each epoch's own row over what every row of
    the report shares (where the trial runs, Tune's fields); a report without rows is its own row."""
    rows = result.get(EPOCH_ROWS)
    if not rows:
        return [result]
    shared = {k: v for k, v in result.items() if k != EPOCH_ROWS and k not in rows[-1]}
    return [{**shared, **row} for row in rows]


class _PerEpoch:
    def log_trial_result(self, iteration: int, trial, result: dict) -> None:
        for row in epoch_rows(result):
            super().log_trial_result(iteration, trial, row)


class JsonRows(_PerEpoch, JsonLoggerCallback):
    """Tune's result.json logger, one row per epoch."""


class CsvRows(_PerEpoch, CSVLoggerCallback):
    """Tune's progress.csv logger, one row per epoch."""
