"""A model's data and what its default execution role may do with it: SageMaker downloads the weights with
that role, through S3, which decrypts SSE-KMS objects with the bucket's key as the role ("KMS where keys
are used"). Without ``kms:Decrypt`` on the key the endpoint cannot load the model at deploy time. The same
holds for the default role of ``RecommendedModels``, with which SageMaker reads the packages' S3 channels."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from simulation.execution_roles import expected_requests
from simulation.harness import denied, statements_of_role
from simulation.iam import Request
from simulation.intrinsics import Environment, resolve
from test_recommendation_resolution import TWO_COPIES

from cdk_genai_inference import (
    JobWait,
    Model,
    RecommendationGoal,
    RecommendationJob,
    RecommendedModels,
    S3Location,
    TokenDistribution,
    WorkloadConfig,
)
from synthesis import ENV, IMAGE, check_with_nag, new_stack, synth

KEY = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY = "arn:aws:kms:us-west-2:111122223333:key/9999abcd-12ab-34cd-56ef-1234567890ab"
BUCKET = "genai-models-111122223333"
VIA_S3 = {"kms:ViaService": "s3.us-west-2.amazonaws.com"}
CHANNELS = {"base_model": "gpt-oss-20b/", "model-output": "recommendations/"}  # a package's, under BUCKET
ENVIRONMENT = Environment(account=ENV.account, region=ENV.region, placeholders=True)


def deployed(
    stack: cdk.Stack, model: Model, bucket_keys: dict[str, str], recommended: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The model's role: its statements and what SageMaker asks IAM for with it, once deployed (a model
    package's with the S3 channels of ``recommended``, the recommendations its job described)."""
    template = synth(stack).to_json()
    resources = template["Resources"]
    buckets = {k: r["Properties"]["BucketName"] for k, r in resources.items() if r["Type"] == "AWS::S3::Bucket"}
    arns = {k: {"Arn": f"arn:aws:s3:::{name}"} for k, name in buckets.items()}  # a bucket's Ref is its name
    where = Environment(account=ENV.account, region=ENV.region, refs=buckets, attributes=arns, placeholders=True)
    values = {k: {**r, "Properties": resolve(r.get("Properties", {}), where)} for k, r in resources.items()}
    env = {"account": ENV.account, "region": ENV.region}
    role_id = stack.get_logical_id(model.role.node.default_child)
    needs = expected_requests(template, {"Resources": values}, recommended or [], env, bucket_keys)[role_id]
    return {"needs": needs, "statements": statements_of_role(resources, role_id, where), "values": values}


def in_a_bucket_of_this_stack(stack: cdk.Stack) -> tuple[Model, dict[str, str], str]:
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    bucket = s3.Bucket(stack, "Models", bucket_name=BUCKET, encryption_key=key, enforce_ssl=True)
    model = Model(stack, "Model", image_uri=IMAGE, model_data=S3Location.from_bucket(bucket, "llama-3.1-8b"))
    return model, {}, resolve(stack.resolve(key.key_arn), ENVIRONMENT)


def by_uri_with_its_key(stack: cdk.Stack) -> tuple[Model, dict[str, str], str]:
    key = kms.Key.from_key_arn(stack, "Key", KEY)
    location = S3Location.from_uri(f"s3://{BUCKET}/llama-3.1-8b/", encryption_key=key)
    return Model(stack, "Model", image_uri=IMAGE, model_data=location), {BUCKET: KEY}, KEY


ENCRYPTED = pytest.mark.parametrize("build", [in_a_bucket_of_this_stack, by_uri_with_its_key], ids=["bucket", "uri"])


@ENCRYPTED
def test_the_default_role_may_decrypt_the_model_data_with_its_key_through_s3_only(build: Any) -> None:
    stack = new_stack()
    model, bucket_keys, key = build(stack)
    role = deployed(stack, model, bucket_keys)
    assert [r for r in role["needs"] if r.action.startswith("kms:")] == [Request("kms:Decrypt", key, VIA_S3)]
    decrypts_through_s3_only(role, key)


def decrypts_through_s3_only(role: dict[str, Any], key: str) -> None:
    """``role`` (from ``deployed``) may do what SageMaker does with it, and decrypt with ``key`` in S3's
    requests alone: not in another service's, not in its own calls, and with no other key."""
    assert denied(role["statements"], role["needs"]) == []
    kms_statements = [s for s in role["statements"] if "kms:" in str(s["Action"])]
    assert kms_statements == [
        {"Action": "kms:Decrypt", "Condition": {"StringEquals": VIA_S3}, "Effect": "Allow", "Resource": key}
    ]
    elsewhere = {"kms:ViaService": "lambda.us-west-2.amazonaws.com"}
    assert denied(role["statements"], [Request("kms:Decrypt", key, elsewhere)]) != []
    assert denied(role["statements"], [Request("kms:Decrypt", key)]) != []  # a call of the role's own
    assert denied(role["statements"], [Request("kms:Decrypt", OTHER_KEY, VIA_S3)]) != []


def recommended_from_a_bucket_of_this_stack(stack: cdk.Stack) -> tuple[RecommendedModels, dict[str, str], str]:
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    bucket = s3.Bucket(stack, "Models", bucket_name=BUCKET, encryption_key=key, enforce_ssl=True)
    job = RecommendationJob(
        stack,
        "Job",
        model_source=S3Location.from_bucket(bucket, CHANNELS["base_model"]),
        workload_config=WorkloadConfig(stack, "Workload", input_tokens=TokenDistribution(3500)),
        goal=RecommendationGoal.THROUGHPUT,
        output=S3Location.from_bucket(bucket, CHANNELS["model-output"]),
        instance_types=["ml.g6e.12xlarge"],
        wait=JobWait.in_deployment(Duration.hours(6)),
    )
    return RecommendedModels(stack, "Recommended", job=job), {}, resolve(stack.resolve(key.key_arn), ENVIRONMENT)


def recommended_by_uri_with_its_key(stack: cdk.Stack) -> tuple[RecommendedModels, dict[str, str], str]:
    key = kms.Key.from_key_arn(stack, "Key", KEY)
    job = RecommendationJob.from_job_name(stack, "Job", "gpt-oss-20b-sizing-1")
    locations = [S3Location.from_uri(f"s3://{BUCKET}/{p}", encryption_key=key) for p in CHANNELS.values()]
    return (
        RecommendedModels(stack, "Recommended", job=job, instance_types=["ml.g6e.12xlarge"], model_data=locations),
        {BUCKET: KEY},
        KEY,
    )


@pytest.mark.parametrize(
    "build", [recommended_from_a_bucket_of_this_stack, recommended_by_uri_with_its_key], ids=["job", "model_data"]
)
def test_the_default_role_of_recommended_models_may_decrypt_their_channels_through_s3_only(build: Any) -> None:
    """SageMaker reads the packages' S3 channels (the job's weights and output) with the models' role, as it
    reads a model's data: the decrypt is for S3's requests alone, as ``Model``'s."""
    stack = new_stack()
    models, bucket_keys, key = build(stack)
    channels = [{"ChannelName": name, "Uri": f"s3://{BUCKET}/{prefix}"} for name, prefix in CHANNELS.items()]
    described = {**TWO_COPIES, "DeploymentConfiguration": {**TWO_COPIES["DeploymentConfiguration"], "S3": channels}}
    role = deployed(stack, models.pools[0].model, bucket_keys, [described])
    assert {str(r) for r in role["needs"] if r.action.startswith("kms:")} == {str(Request("kms:Decrypt", key, VIA_S3))}
    decrypts_through_s3_only(role, key)


def test_a_bucket_location_is_served_as_a_folder() -> None:
    """An ``S3Prefix`` of uncompressed weights ends with ``/``; the bucket's name is known at deploy time."""
    stack = new_stack()
    model, _, _ = in_a_bucket_of_this_stack(stack)
    role = deployed(stack, model, {})
    (resource,) = [r for r in role["values"].values() if r["Type"] == "AWS::SageMaker::Model"]
    source = resource["Properties"]["PrimaryContainer"]["ModelDataSource"]["S3DataSource"]
    assert source["S3Uri"] == f"s3://{BUCKET}/llama-3.1-8b/"


@pytest.mark.parametrize(
    "model_data",
    [{"model_data_url": f"s3://{BUCKET}/llama/"}, {"model_data": S3Location.from_uri(f"s3://{BUCKET}/llama/")}],
    ids=["url", "location"],
)
def test_without_a_key_nothing_kms_is_granted(model_data: dict[str, Any]) -> None:
    stack = new_stack()
    model = Model(stack, "Model", image_uri=IMAGE, **model_data)
    role = deployed(stack, model, {})
    assert not [r for r in role["needs"] if r.action.startswith("kms:")]
    assert not [s for s in role["statements"] if "kms:" in str(s["Action"])]
    assert denied(role["statements"], role["needs"]) == []


def test_model_data_url_to_a_bucket_that_encrypts_with_a_key_lacks_the_decrypt() -> None:
    """The deploy simulation expects the decrypt where the account's bucket has a key: a URL alone hides
    it, so only ``model_data`` with the key deploys."""
    stack = new_stack()
    model = Model(stack, "Model", image_uri=IMAGE, model_data_url=f"s3://{BUCKET}/llama/")
    role = deployed(stack, model, {BUCKET: KEY})
    assert denied(role["statements"], role["needs"]) == [str(Request("kms:Decrypt", KEY, VIA_S3))]


@pytest.mark.parametrize(
    "url",
    [
        lambda stack: f"s3://models-{cdk.Aws.ACCOUNT_ID}/llama/",
        lambda stack: cdk.CfnParameter(stack, "Url").value_as_string,
    ],
    ids=["account-inside", "parameter"],
)
def test_a_model_data_url_known_only_at_deploy_time_is_granted_where_it_resolves(url: Any) -> None:
    """As the jobs' locations are: the bucket and prefix are taken apart at deploy time when they must be."""
    stack = new_stack()
    check_with_nag(stack.node.root)  # the wildcard under the prefix is acknowledged as such
    model = Model(stack, "Model", image_uri=IMAGE, model_data_url=url(stack))
    resources = synth(stack).to_json()["Resources"]
    env = Environment(account=ENV.account, region=ENV.region, refs={"Url": "s3://models-111122223333/llama/"})
    statements = statements_of_role(resources, stack.get_logical_id(model.role.node.default_child), env)
    reads = [
        Request("s3:GetObject", "arn:aws:s3:::models-111122223333/llama/config.json"),
        Request("s3:ListBucket", "arn:aws:s3:::models-111122223333", {"s3:prefix": "llama/"}),
    ]
    assert denied(statements, reads) == []
    assert denied(statements, [Request("s3:GetObject", "arn:aws:s3:::models-111122223333/other/x")]) != []
