"""AI recommendation jobs and the models they recommend."""
