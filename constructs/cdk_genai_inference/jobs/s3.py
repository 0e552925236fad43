"""S3 prefixes that AI jobs read and write, and the grants on them."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from aws_cdk import Aws, Fn, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from constructs import Construct

from .._core.validation import unresolved
from ..errors import ValidationError
from ..scanners import acknowledge, acknowledge_wildcards

S3_URI = re.compile(r"^s3://(?P<bucket>[^/]+)/?(?P<key>.*)$")


@dataclass(frozen=True)
class S3Location:
    """An S3 prefix, given as a URI or as a bucket and key prefix.

    Its grants include the KMS key its objects are encrypted with: the bucket's ``encryption_key``, or
    the ``encryption_key`` given with the URI (a bucket known only by its URI hides its key).
    """

    uri: str
    bucket: s3.IBucket | None = None
    prefix: str = ""
    encryption_key: kms.IKey | None = None

    @staticmethod
    def from_uri(uri: str, *, encryption_key: kms.IKey | None = None) -> S3Location:
        """``encryption_key``: the bucket's KMS key, if it encrypts with one (SSE-KMS): a job that cannot use
        it fails when it reads or writes, hours into its run. Default: - S3-managed encryption"""
        check_s3_uri("S3 location", uri)
        return S3Location(uri, encryption_key=encryption_key)

    @staticmethod
    def from_bucket(bucket: s3.IBucket, prefix: str = "") -> S3Location:
        return S3Location(bucket.s3_url_for_object(prefix) if prefix else f"s3://{bucket.bucket_name}/", bucket, prefix)

    def folder(self, name: str) -> S3Location:
        """The folder ``name`` inside this location: ``<prefix>/<name>/``, one ``/`` between them. A URI
        known only at deploy time is followed by ``/<name>/``: a value that ends with ``/`` gets two, but
        no value names another bucket."""
        if self.bucket is not None:
            prefix = f"{_as_folder(self.prefix)}{name}/"
            return replace(self, uri=self.bucket.s3_url_for_object(prefix), prefix=prefix)
        match = S3_URI.match(self.uri)
        uri = f"{self.uri}/{name}/" if match is None else f"s3://{match['bucket']}/{_as_folder(match['key'])}{name}/"
        return replace(self, uri=uri)

    def grant_read(self, grantee: iam.IGrantable, *, through_s3: bool = False) -> None:
        """Read the objects under the prefix (and list them), and decrypt them with the location's KMS key.

        Args:
            grantee: Who reads.
            through_s3: Allow ``kms:Decrypt`` only in the requests S3 makes for the grantee
                (``kms:ViaService``), for a grantee that reads the objects through S3 alone, as SageMaker
                reads a model's data with its execution role. Default: False
        """
        self._grant(grantee, write=False, through_s3=through_s3)

    def grant_read_write(self, grantee: iam.IGrantable) -> None:
        """Read, list and write the objects under the prefix; never delete."""
        self._grant(grantee, write=True)

    def _grant(self, grantee: iam.IGrantable, *, write: bool, through_s3: bool = False) -> None:
        if self.bucket is None:
            grant_s3(grantee, self.uri, write=write)
        else:
            _grant_prefix(
                grantee, self.bucket.bucket_arn, self.bucket.arn_for_objects(f"{self.prefix}*"), self.prefix, write
            )
        key = self.encryption_key or (self.bucket.encryption_key if self.bucket is not None else None)
        if key is not None and through_s3:
            _grant_decrypt_through_s3(grantee, key)
        elif key is not None:
            (key.grant_encrypt_decrypt if write else key.grant_decrypt)(grantee)
            if write and isinstance(grantee, Construct):
                for action in ("kms:ReEncrypt*", "kms:GenerateDataKey*"):
                    acknowledge(
                        grantee,
                        "AwsSolutions-IAM5",
                        "CDK's encrypt-and-decrypt grant on the bucket's own key, for the objects written under the "
                        "prefix (S3 generates and re-encrypts their data keys).",
                        action=action,
                    )


def _grant_decrypt_through_s3(grantee: iam.IGrantable, key: kms.IKey) -> None:
    """``kms:Decrypt`` on ``key`` when S3 asks for it, in the grantee's Region (where SageMaker requires the
    data to be); the key's policy as well when CDK can change it and the grantee needs it (another account)."""
    region = Stack.of(grantee).region if isinstance(grantee, Construct) else Aws.REGION
    iam.Grant.add_to_principal_or_resource(
        grantee=grantee,
        actions=["kms:Decrypt"],
        resource=key,
        resource_arns=[key.key_arn],
        resource_self_arns=["*"],
        conditions={"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
    )


def _as_folder(prefix: str) -> str:
    return prefix if not prefix or prefix.endswith("/") else f"{prefix}/"


def check_s3_uri(what: str, uri: str) -> None:
    """``uri`` names a bucket (``s3://bucket/...``), or is known only at deploy time."""
    if not unresolved(uri) and not S3_URI.match(uri):
        raise ValidationError(f"{what} must be an s3:// URI, got {uri!r}")


def grant_s3(grantee: iam.IGrantable, uri: str, *, write: bool) -> None:
    """Read (and optionally write) the objects under an ``s3://`` prefix. A URI that is a deploy-time
    value as a whole is taken apart at deploy time: the objects under it, and its bucket's listing (no
    prefix condition, which CloudFormation cannot cut from the URI; ``S3Location.from_bucket`` keeps
    it)."""
    partition = Stack.of(grantee).partition if isinstance(grantee, Construct) else "aws"
    match = S3_URI.match(uri)  # a token inside the bucket or the key leaves "s3://" and the "/" literal
    if match is not None:
        bucket, key = match["bucket"], match["key"]
        _grant_prefix(grantee, f"arn:{partition}:s3:::{bucket}", f"arn:{partition}:s3:::{bucket}/{key}*", key, write)
        return
    if not unresolved(uri):
        return
    path = Fn.select(1, Fn.split("s3://", uri))
    bucket = Fn.select(0, Fn.split("/", path))
    _grant_prefix(grantee, f"arn:{partition}:s3:::{bucket}", f"arn:{partition}:s3:::{path}*", None, write)


def _grant_prefix(grantee: iam.IGrantable, bucket_arn: str, objects_arn: str, prefix: str | None, write: bool) -> None:
    """``prefix=None`` lists the whole bucket."""
    actions = ["s3:GetObject", *(["s3:PutObject", "s3:AbortMultipartUpload"] if write else [])]
    grantee.grant_principal.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=[objects_arn]))
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["s3:ListBucket"],
            resources=[bucket_arn],
            conditions=None if prefix is None else {"StringLike": {"s3:prefix": [f"{prefix}*"]}},
        )
    )
    if isinstance(grantee, Construct):
        acknowledge_wildcards(grantee, [objects_arn], "The data is every object under this one prefix.")
