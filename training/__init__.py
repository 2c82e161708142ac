"""Training for the moderation model: dataset loaders, the pipeline, evaluation, thresholds, the registry."""
