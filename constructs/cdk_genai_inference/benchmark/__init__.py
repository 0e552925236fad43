"""AI benchmark jobs and their results."""
