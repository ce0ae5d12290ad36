"""`tagger tune`: an Optuna study around training. A search space file (space), trials
that train with a pruning callback (objective, fit, pruning), what is optimised
(objectives), the shared storage and worker processes (storage, study, workers), and
what a study leaves (results, plots); `run.tune` ties them together."""
