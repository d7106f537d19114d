"""The driver side of Ray: start or join a cluster (`cluster`), plan each trial's resources
(`resources`), turn the config into Tune's search space and schedulers (`search`, `schedulers`),
run the Tuner (`run`) and hand on its results as plain outcomes (`outcomes`, Ray-free, with the one
set of trial-status rules), printing progress as trials end (`progress`).

This package init imports nothing, so Ray-free code (the results, the report) can read
`tuning.outcomes` without loading Ray.
"""
