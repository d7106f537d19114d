"""`gg-train doctor`: why does this saved model score low on this test file? Nothing is trained.

The user's model is loaded as it is (`loading`), matched to their tables (`tables`), scored in
inference mode on each split (`scores`) next to cheap scikit-learn references (`references`), and
every cause gets a verdict with its numbers (`causes`, thresholds in `thresholds`), written to
`runs/NAME/doctor.json` (`report`). Never Ray.

From Python, `orchestrator.doctor(...)` (`orchestrator.api.doctor`) runs `run.doctor` and returns an
`Examination`.
"""
