"""Serving a model on instance pools: the model, pools, endpoint, scaling, guarded deployments,
rollback alarms, metrics and the dashboard."""
