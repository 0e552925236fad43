"""What SageMaker does with the roles it assumes, as its documentation says, for a deployed template: the
requests IAM must allow each execution role. Compared with the statements the template gives the role.

- A model's role (CreateModel's ExecutionRoleArn): pulls its image from ECR, reads its model data from S3
  and decrypts it through S3 where its bucket encrypts with a KMS key (for a model package, the S3
  channels the recommendation deploys), writes the endpoint's logs and
  metrics, and reads the rollback alarms of every guarded deployment of an endpoint it serves ("Ensure
  that your IAM execution role has permission to perform the cloudwatch:DescribeAlarms action on the
  auto-rollback alarms you specify", deployment guardrails).
- An inference-component endpoint's role (the endpoint configuration's ExecutionRoleArn): logs, metrics and
  the components' rollback alarms.
- An AI recommendation job's role: reads the model, writes its output, reads SageMaker's quotas, registers
  the recommended packages, pulls the serving images, and passes itself to the endpoints it creates.
- An AI benchmark job's role: invokes the endpoint and writes its output.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from simulation.iam import Request

ECR_IMAGE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/([^:@]+)")
PULL = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability")


def expected_requests(
    template: dict[str, Any],
    deployed: dict[str, Any],
    recommended: list[dict[str, Any]],
    env: Mapping[str, str],
    bucket_keys: Mapping[str, str] | None = None,
) -> dict[str, list[Request]]:
    """Execution role logical id -> the requests SageMaker makes with it. ``template`` is as synthesized
    (to find each role), ``deployed`` the same with its deploy-time values, ``recommended`` the
    recommendations as the job described them (what its packages deploy), ``bucket_keys`` the SSE-KMS
    key of each bucket the account has outside the template (bucket name -> key ARN): S3 decrypts an
    object read from such a bucket, and encrypts one written there, with that key as the caller."""
    partition, region, account = env.get("partition", "aws"), env["region"], env["account"]
    resources, values = template["Resources"], deployed["Resources"]
    needs: dict[str, list[Request]] = {}

    def add(role: Any, *requests: Request) -> None:
        if isinstance(role, dict) and "Fn::GetAtt" in role:
            needs.setdefault(role["Fn::GetAtt"][0], []).extend(requests)

    keys = {**(bucket_keys or {}), **_bucket_keys(values)}
    endpoints_of_model = _endpoints_of_models(values)
    alarms_of_endpoint = _rollback_alarms(values)
    images = {r["ModelDetails"]["ModelPackageArn"]: r for r in recommended}
    for logical_id, resource in resources.items():
        kind, props, value = resource["Type"], resource.get("Properties", {}), values[logical_id]["Properties"]
        if kind == "AWS::SageMaker::Model":
            container = value.get("PrimaryContainer", {})
            requests: list[Request] = []
            if "Image" in container:
                requests += _pull(container["Image"], partition)
                source = container.get("ModelDataSource", {}).get("S3DataSource", {}).get("S3Uri")
                requests += _reads(source, partition, keys, region) if source else []
            else:  # a model package: what the recommendation deploys (as the job described it)
                recommendation = next(iter(images.values()), None)
                if recommendation is not None:
                    requests += _pull(recommendation["DeploymentConfiguration"]["ImageUri"], partition)
                    for channel in recommendation["DeploymentConfiguration"].get("S3", []):
                        requests += _reads(channel["Uri"], partition, keys, region)
            for endpoint in endpoints_of_model.get(value.get("ModelName", f"<{logical_id}.ModelName>"), []):
                requests += _logs_and_metrics(endpoint, partition, region, account)
                requests += [
                    Request("cloudwatch:DescribeAlarms", _alarm(a, partition, region, account))
                    for a in alarms_of_endpoint.get(endpoint, [])
                ]
            add(props.get("ExecutionRoleArn"), *requests)
        elif kind == "AWS::SageMaker::EndpointConfig" and "ExecutionRoleArn" in props:
            for endpoint in _endpoints_of_config(values, logical_id):
                add(
                    props["ExecutionRoleArn"],
                    *_logs_and_metrics(endpoint, partition, region, account),
                    *[
                        Request("cloudwatch:DescribeAlarms", _alarm(a, partition, region, account))
                        for a in alarms_of_endpoint.get(endpoint, [])
                    ],
                )
        elif kind == "Custom::AIRecommendationJob":
            request = value["Request"]
            group = request["OutputConfig"].get("ModelPackageGroupIdentifier") or request["AIRecommendationJobName"]
            add(
                props["Request"]["RoleArn"],
                *_reads(request["ModelSource"]["S3"]["S3Uri"], partition, keys, region),
                *_writes(request["OutputConfig"]["S3OutputLocation"], partition, keys, region),
                Request(
                    "servicequotas:GetServiceQuota",
                    f"arn:{partition}:servicequotas:{region}:{account}:sagemaker/L-0123ABCD",
                ),
                Request(
                    "sagemaker:CreateModelPackage",
                    f"arn:{partition}:sagemaker:{region}:{account}:model-package/{group}/1",
                ),
                *_pull(f"763104351884.dkr.ecr.{region}.amazonaws.com/vllm:0.11.0-gpu-py312", partition),
                Request("iam:PassRole", request["RoleArn"], {"iam:PassedToService": "sagemaker.amazonaws.com"}),
                *_adapter_reads(request.get("AdapterSource", {}), partition, keys, region),
            )
        elif kind == "Custom::AIBenchmarkJob":
            request = value["Request"]
            endpoint = request["BenchmarkTarget"]["Endpoint"]["Identifier"]
            endpoint_arn = f"arn:{partition}:sagemaker:{region}:{account}:endpoint/{endpoint.lower()}"
            add(
                props["Request"]["RoleArn"],
                Request("sagemaker:InvokeEndpoint", endpoint_arn),
                Request("sagemaker:InvokeEndpointWithResponseStream", endpoint_arn),
                *_writes(request["OutputConfig"]["S3OutputLocation"], partition, keys, region),
            )
    return needs


def _adapter_reads(source: Mapping[str, Any], partition: str, keys: Mapping[str, str], region: str) -> list[Request]:
    """The job reads its LoRA adapters with its role: the weights under each S3 URI, and each
    registered adapter's model package."""
    return [
        *(r for adapter in source.get("S3Uris", []) for r in _reads(adapter["S3Uri"], partition, keys, region)),
        *(Request("sagemaker:DescribeModelPackage", a["ModelPackageArn"]) for a in source.get("ModelPackageArns", [])),
    ]


def _pull(image: str, partition: str) -> list[Request]:
    match = ECR_IMAGE.match(image)
    if match is None:
        return []
    repository = f"arn:{partition}:ecr:{match[2]}:{match[1]}:repository/{match[3]}"
    return [*(Request(a, repository) for a in PULL), Request("ecr:GetAuthorizationToken", "*")]


def _bucket_key(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _reads(uri: str, partition: str, keys: Mapping[str, str], region: str) -> list[Request]:
    """Read objects under ``uri`` (and list them); decrypt them with the bucket's key, through S3."""
    bucket, prefix = _bucket_key(uri)
    found = [
        Request("s3:GetObject", f"arn:{partition}:s3:::{bucket}/{prefix}config.json"),
        Request("s3:ListBucket", f"arn:{partition}:s3:::{bucket}", {"s3:prefix": prefix}),
    ]
    if bucket in keys:
        found.append(Request("kms:Decrypt", keys[bucket], {"kms:ViaService": f"s3.{region}.amazonaws.com"}))
    return found


def _writes(uri: str, partition: str, keys: Mapping[str, str], region: str) -> list[Request]:
    """Write an object under ``uri``; encrypt it with the bucket's key, through S3."""
    bucket, prefix = _bucket_key(uri)
    found = [Request("s3:PutObject", f"arn:{partition}:s3:::{bucket}/{prefix}output/output.tar.gz")]
    if bucket in keys:
        found.append(Request("kms:GenerateDataKey", keys[bucket], {"kms:ViaService": f"s3.{region}.amazonaws.com"}))
    return found


def _bucket_keys(values: dict[str, Any]) -> dict[str, str]:
    """Bucket name -> the KMS key its objects are encrypted with, for the template's own buckets."""
    found = {}
    for resource in values.values():
        props = resource["Properties"]
        if resource["Type"] != "AWS::S3::Bucket" or not isinstance(props.get("BucketName"), str):
            continue
        for rule in props.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", []):
            key = rule.get("ServerSideEncryptionByDefault", {}).get("KMSMasterKeyID")
            if isinstance(key, str):
                found[props["BucketName"]] = key
    return found


def _logs_and_metrics(endpoint: str, partition: str, region: str, account: str) -> list[Request]:
    group = f"arn:{partition}:logs:{region}:{account}:log-group:/aws/sagemaker/Endpoints/{endpoint}"
    return [
        Request("logs:CreateLogGroup", group),
        Request("logs:CreateLogStream", f"{group}:log-stream:AllTraffic/i-0123456789abcdef0"),
        Request("logs:PutLogEvents", f"{group}:log-stream:AllTraffic/i-0123456789abcdef0"),
        Request("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": "/aws/sagemaker/Endpoints"}),
    ]


def _alarm(name: str, partition: str, region: str, account: str) -> str:
    return f"arn:{partition}:cloudwatch:{region}:{account}:alarm:{name}"


def _endpoints_of_config(values: dict[str, Any], config_id: str) -> list[str]:
    """The endpoints deployed with the configuration ``config_id`` (its generated name holds the logical id)."""
    return [
        r["Properties"]["EndpointName"]
        for r in values.values()
        if r["Type"] == "AWS::SageMaker::Endpoint" and config_id in str(r["Properties"].get("EndpointConfigName"))
    ]


def _endpoints_of_models(values: dict[str, Any]) -> dict[str, list[str]]:
    """Model name -> the endpoints that serve it (a variant's model, a pool's override, a component's spec)."""
    found: dict[str, list[str]] = {}
    for config_id, config in values.items():
        if config["Type"] != "AWS::SageMaker::EndpointConfig":
            continue
        endpoints = _endpoints_of_config(values, config_id)
        for variant in config["Properties"]["ProductionVariants"]:
            names = [variant.get("ModelName"), *(p.get("ModelNameOverride") for p in variant.get("InstancePools", []))]
            for name in filter(None, names):
                found.setdefault(name, []).extend(endpoints)
    for component in values.values():
        if component["Type"] == "AWS::SageMaker::InferenceComponent":
            props = component["Properties"]
            specs = props.get("Specifications") or [props.get("Specification", {})]
            for spec in specs:
                found.setdefault(spec.get("ModelName"), []).append(props["EndpointName"])
    return {name: sorted(set(endpoints)) for name, endpoints in found.items()}


def _rollback_alarms(values: dict[str, Any]) -> dict[str, list[str]]:
    """Endpoint name -> the alarm names its guarded deployments (or its components') roll back on."""
    found: dict[str, list[str]] = {}
    for resource in values.values():
        props = resource["Properties"]
        if resource["Type"] in ("AWS::SageMaker::Endpoint", "AWS::SageMaker::InferenceComponent"):
            alarms = props.get("DeploymentConfig", {}).get("AutoRollbackConfiguration", {}).get("Alarms", [])
            found.setdefault(props["EndpointName"], []).extend(a["AlarmName"] for a in alarms)
    return found
