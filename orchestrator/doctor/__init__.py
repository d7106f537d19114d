"""`gg-train doctor`: why does this saved model score low on this test file? Nothing is trained.

The user's model is loaded as it is (`loading`), matched to their tables (`tables`), scored in
inference mode on each split (`scores`) next to cheap scikit-learn references (`references`), and
every cause gets a verdict with its numbers (`causes`, thresholds in `thresholds`), written to
`runs/NAME/doctor.json` (`report`). Never Ray.

Called, `orchestrator.doctor(...)` is the Python API's doctor (`orchestrator.api.doctor`), which runs
`run.doctor` and returns an `Examination`.
"""

from orchestrator import callable_module

callable_module(__name__)
