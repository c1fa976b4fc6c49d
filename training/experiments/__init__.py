"""One-off training experiments (not used by `training.train` or `training.evaluate`)."""
