"""Every stack of the reference pipeline resolves only what exists in its own account, or what the owning
account grants it by a resource policy in its own template: recommendation jobs, benchmark jobs and endpoints
by name; shared model packages by their group's policy; artifacts by the bucket's and the key's policies."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from simulation.intrinsics import Environment, resolve

from conftest import REPO
from stacks.reference_app import build

CONTEXT: dict[str, Any] = json.loads((REPO / "cdk.json").read_text())["context"]
DEPLOY_ACTIONS = {"sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages", "sagemaker:CreateModel"}


@dataclass
class StageStack:
    """One stack of a pipeline stage, with the account it deploys to and its template."""

    name: str
    account: str
    region: str
    template: dict[str, Any]

    def of_type(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        return [(k, r) for k, r in self.template["Resources"].items() if r["Type"] == kind]

    def resolved(self, value: Any) -> Any:
        env = Environment(account=self.account, region=self.region, stack_name=self.name, placeholders=True)
        return resolve(value, env)


@dataclass
class Assembly:
    stacks: list[StageStack] = field(default_factory=list)

    def in_account(self, account: str) -> list[StageStack]:
        return [s for s in self.stacks if s.account == account]


def load(outdir: Path) -> Assembly:
    assembly = Assembly()
    for manifest_path in sorted(outdir.glob("assembly-GenAiPipeline-*/manifest.json")):
        manifest = json.loads(manifest_path.read_text())
        for artifact in manifest["artifacts"].values():
            if artifact["type"] != "aws:cloudformation:stack":
                continue
            _, account, region = re.match(r"aws://(\d{12})/([a-z0-9-]+)", artifact["environment"]).group(0, 1, 2)
            template = json.loads((manifest_path.parent / artifact["properties"]["templateFile"]).read_text())
            assembly.stacks.append(StageStack(artifact["displayName"], account, region, template))
    return assembly


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Assembly:
    outdir = tmp_path_factory.mktemp("pipeline")
    app = cdk.App(outdir=str(outdir), context=CONTEXT)
    build(app)
    app.synth()
    return load(outdir)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principal_accounts(statement: dict[str, Any], stack: StageStack) -> set[str]:
    principals = stack.resolved(statement.get("Principal", {}))
    found = set()
    for principal in _listed(principals.get("AWS", []) if isinstance(principals, dict) else []):
        match = re.match(r"arn:aws:iam::(\d{12}):root$", str(principal)) or re.match(r"^(\d{12})$", str(principal))
        if match:
            found.add(match.group(1))
    return found


def problems(assembly: Assembly) -> list[str]:
    """What each stack resolves that its account neither owns nor is granted."""
    found: list[str] = []
    for stack in assembly.stacks:
        same = assembly.in_account(stack.account)
        jobs = {
            r["Properties"]["Request"]["AIRecommendationJobName"]
            for s in same
            for _, r in s.of_type("Custom::AIRecommendationJob")
        }
        benchmarks = {
            r["Properties"]["Request"]["AIBenchmarkJobName"]
            for s in same
            for _, r in s.of_type("Custom::AIBenchmarkJob")
        }
        endpoints = {r["Properties"]["EndpointName"] for s in same for _, r in s.of_type("AWS::SageMaker::Endpoint")}
        for _, resolver in stack.of_type("Custom::RecommendedModels"):
            props = resolver["Properties"]
            if "JobName" in props and props["JobName"] not in jobs:
                found.append(
                    f"{stack.name} ({stack.account}) resolves job {props['JobName']}, which no stack of its account runs"
                )
            if "ModelPackageGroupArn" in props:
                found += _shared_group_problems(assembly, stack, props["ModelPackageGroupArn"])
        for _, results in stack.of_type("Custom::AIBenchmarkResults"):
            if results["Properties"]["JobName"] not in benchmarks:
                found.append(f"{stack.name} reads benchmark {results['Properties']['JobName']} of another account")
        for _, job in stack.of_type("Custom::AIBenchmarkJob"):
            target = job["Properties"]["Request"]["BenchmarkTarget"]["Endpoint"]["Identifier"]
            if target not in endpoints:
                found.append(f"{stack.name} benchmarks endpoint {target}, which no stack of its account defines")
        found += _artifact_problems(assembly, stack)
    return found


def _shared_group_problems(assembly: Assembly, stack: StageStack, arn: str) -> list[str]:
    account, name = re.match(r"arn:aws:sagemaker:[a-z0-9-]+:(\d{12}):model-package-group/(.+)$", arn).groups()
    if account == stack.account:
        return []
    for owner in assembly.in_account(account):
        for _, group in owner.of_type("Custom::ModelPackageGroup"):
            if group["Properties"]["Request"]["ModelPackageGroupName"] != name:
                continue
            granted: set[str] = set()
            for statement in group["Properties"].get("ResourcePolicy", {}).get("Statement", []):
                resources = [str(r) for r in _listed(owner.resolved(statement["Resource"]))]
                if stack.account in _principal_accounts(statement, owner) and any(
                    r.endswith(f"model-package/{name}/*") for r in resources
                ):
                    granted |= set(_listed(statement["Action"]))
            if granted >= DEPLOY_ACTIONS:
                return []
            return [
                f"{stack.name} ({stack.account}) deploys packages of {name}; its group grants it only {sorted(granted)}"
            ]
    return [f"{stack.name} ({stack.account}) deploys packages of group {arn}, which no template of {account} defines"]


def _artifact_problems(assembly: Assembly, stack: StageStack) -> list[str]:
    """S3 objects (and their KMS keys) that this stack's roles read in a bucket another stack defines. The bucket
    policy matters across accounts only; the key policy always, and so does the reader's own IAM policy: a key
    policy that grants an account (its root) leaves the decision to that account's IAM policies."""
    buckets = {}
    for owner in assembly.stacks:
        for logical_id, bucket in owner.of_type("AWS::S3::Bucket"):
            name = bucket["Properties"].get("BucketName")
            if isinstance(name, str):
                buckets[name] = (owner, logical_id, bucket)
    found = []
    for _, policy in stack.of_type("AWS::IAM::Policy"):
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if "s3:GetObject" not in _listed(statement["Action"]):
                continue
            for resource in _listed(stack.resolved(statement["Resource"])):
                match = re.match(r"arn:aws:s3:::([^/]+)/(.*)$", str(resource))
                if not match or match.group(1) not in buckets:
                    continue
                owner, logical_id, bucket = buckets[match.group(1)]
                if owner is stack:
                    continue
                if owner.account != stack.account and not _bucket_grants(
                    owner, logical_id, stack.account, match.group(2)
                ):
                    found.append(
                        f"{stack.name} ({stack.account}) reads s3://{match.group(1)}/{match.group(2)} unsanctioned by its bucket policy"
                    )
                key = bucket["Properties"].get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [{}])[0]
                key_ref = key.get("ServerSideEncryptionByDefault", {}).get("KMSMasterKeyID")
                missing = _key_problem(owner, key_ref, stack) if key_ref is not None else None
                if missing:
                    found.append(f"{stack.name} ({stack.account}) cannot decrypt s3://{match.group(1)}: {missing}")
    return found


def _bucket_grants(owner: StageStack, bucket_id: str, account: str, prefix: str) -> bool:
    for _, policy in owner.of_type("AWS::S3::BucketPolicy"):
        if policy["Properties"]["Bucket"] != {"Ref": bucket_id}:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            resources = [str(r) for r in _listed(owner.resolved(statement.get("Resource", [])))]
            covered = any(
                r.endswith("/*") and prefix.startswith(r.split("/", 1)[1][:-1]) for r in resources if "/" in r
            )
            reads = {"s3:GetObject", "s3:GetObject*"} & set(_listed(statement["Action"]))
            if (
                statement["Effect"] == "Allow"
                and account in _principal_accounts(statement, owner)
                and covered
                and reads
            ):
                return True
    return False


def _key_problem(owner: StageStack, key_ref: Any, reader: StageStack) -> str | None:
    key_id = key_ref.get("Fn::GetAtt", [None])[0] if isinstance(key_ref, dict) else None
    key = owner.template["Resources"].get(key_id, {})
    aliases = {
        a["Properties"]["AliasName"]
        for _, a in owner.of_type("AWS::KMS::Alias")
        if a["Properties"]["TargetKeyId"] in ({"Fn::GetAtt": [key_id, "Arn"]}, {"Ref": key_id})
    }
    if not any(
        reader.account in _principal_accounts(s, owner) and {"kms:Decrypt", "kms:*"} & set(_listed(s["Action"]))
        for s in key.get("Properties", {}).get("KeyPolicy", {}).get("Statement", [])
    ):
        return "its key grants it nothing"
    if not any(
        "kms:Decrypt" in _listed(s["Action"])
        and set(_listed(s.get("Condition", {}).get("ForAnyValue:StringEquals", {}).get("kms:ResourceAliases", [])))
        & aliases
        for _, p in reader.of_type("AWS::IAM::Policy")
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ):
        return "none of its policies allows kms:Decrypt on the key"
    return None


def test_every_stage_resolves_only_what_its_account_owns_or_is_granted(assembly: Assembly) -> None:
    accounts = {s.account for s in assembly.stacks}
    assert accounts == {CONTEXT["pipeline:stagingAccount"], CONTEXT["pipeline:productionAccount"]}
    assert problems(assembly) == []


def test_production_deploys_the_shared_packages_by_arn_and_resolves_no_job(assembly: Assembly) -> None:
    (production,) = [s for s in assembly.stacks if s.account == CONTEXT["pipeline:productionAccount"]]
    (resolver,) = [r for _, r in production.of_type("Custom::RecommendedModels")]
    assert resolver["Properties"]["Kind"] == "PackageResolution"
    assert resolver["Properties"]["ModelPackageGroupArn"].startswith(
        f"arn:aws:sagemaker:{CONTEXT['pipeline:region']}:{CONTEXT['pipeline:stagingAccount']}:model-package-group/"
    )
    assert "ai-recommendation-job" not in json.dumps(production.template)


def _plant(assembly: Assembly, stack_account: str, kind: str, change: Any) -> Assembly:
    planted = Assembly(
        [StageStack(s.name, s.account, s.region, json.loads(json.dumps(s.template))) for s in assembly.stacks]
    )
    for stack in planted.in_account(stack_account):
        for _, resource in stack.of_type(kind):
            change(resource)
    return planted


@pytest.mark.parametrize(
    ("account_key", "kind", "change", "expected"),
    [
        (  # production looks the job up by name, as it once did
            "pipeline:productionAccount",
            "Custom::RecommendedModels",
            lambda r: r["Properties"].update(JobName="llama-8b-sizing-0123456789"),
            "which no stack of its account runs",
        ),
        (  # staging forgets to share the packages
            "pipeline:stagingAccount",
            "Custom::ModelPackageGroup",
            lambda r: r["Properties"].pop("ResourcePolicy"),
            "its group grants it only []",
        ),
        (  # the bucket policy no longer names the production account
            "pipeline:stagingAccount",
            "AWS::S3::BucketPolicy",
            lambda r: [
                s.update(Principal={"AWS": "arn:aws:iam::999999999999:root"})
                for s in r["Properties"]["PolicyDocument"]["Statement"]
                if "Principal" in s and "AWS" in s["Principal"]
            ],
            "unsanctioned by its bucket policy",
        ),
        (  # the key policy no longer lets production decrypt
            "pipeline:stagingAccount",
            "AWS::KMS::Key",
            lambda r: r["Properties"]["KeyPolicy"].update(Statement=r["Properties"]["KeyPolicy"]["Statement"][:1]),
            "its key grants it nothing",
        ),
        (  # the staging account's serving roles read the weights, but may not decrypt them
            "pipeline:stagingAccount",
            "AWS::IAM::Policy",
            lambda r: r["Properties"]["PolicyDocument"].update(
                Statement=[s for s in r["Properties"]["PolicyDocument"]["Statement"] if s["Action"] != "kms:Decrypt"]
            ),
            "none of its policies allows kms:Decrypt on the key",
        ),
    ],
)
def test_a_missing_grant_is_caught(assembly: Assembly, account_key: str, kind: str, change: Any, expected: str) -> None:
    planted = _plant(assembly, CONTEXT[account_key], kind, change)
    assert any(expected in problem for problem in problems(planted)), problems(planted)
