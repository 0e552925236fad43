"""What AI recommendation and benchmark jobs share: the workload, waiting, naming, S3 locations,
MLflow output, the custom-resource provider and its handler asset."""
