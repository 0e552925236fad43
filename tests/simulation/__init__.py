"""Deploying a synthesized template the way CloudFormation would, minus AWS (see each module)."""
