"""The launch pipeline: `launch` and `resume` (a new or interrupted experiment, data to report),
`conclude` (after the trials: evaluation, diagnosis, export and its proof, the report) and
`regenerate` (`gg-train report`: the diagnosis and rendering again from report.json)."""
