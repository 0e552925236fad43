"""The public snapshot helper masks what is volatile and nothing else."""

from __future__ import annotations

import aws_cdk as cdk

from cdk_genai_inference import RecommendationGoal, RecommendationJob, S3Location, WorkloadConfig
from cdk_genai_inference.testing import MASK, snapshot_template
from synthesis import ENV


def stack(model_uri: str) -> cdk.Stack:
    app = cdk.App()
    built = cdk.Stack(app, "Sizing", env=ENV)
    RecommendationJob(
        built,
        "Job",
        model_source=S3Location.from_uri(model_uri),
        workload_config=WorkloadConfig(built, "Workload"),
        goal=RecommendationGoal.COST,
        output=S3Location.from_uri("s3://artifacts/out/"),
    )
    return built


def test_asset_hashes_are_masked_and_real_changes_are_not() -> None:
    first = snapshot_template(stack("s3://models/a/"))
    again = snapshot_template(stack("s3://models/a/"))
    other = snapshot_template(stack("s3://models/b/"))
    assert first == again
    assert first != other
    code = [r["Properties"]["Code"] for r in first["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert code and all(c["S3Key"] == f"{MASK}.zip" for c in code)
    assert "CDKMetadata" not in first["Resources"]
