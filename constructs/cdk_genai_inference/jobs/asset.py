"""The Lambda asset of the AI-job handlers: our handler modules plus the SDK they were written for.

The managed Python runtimes bundle a boto3 of unknown age (the AI job APIs need botocore 1.42.93,
instance pools 1.43.1, MLflow output 1.43.24, adapters 1.43.57). So the asset carries the boto3 and
botocore installed next to this library, trimmed to the service models the handlers call. It is built
at synth by copying files: no Docker, no network. The result is cached per SDK and handler version,
so only the first synth after an upgrade pays for it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path
from types import ModuleType

FUNCTION = "sagemaker_ai_jobs"
SDK_DISTRIBUTIONS = {
    "boto3": "boto3",
    "botocore": "botocore",
    "s3transfer": "s3transfer",
    "jmespath": "jmespath",
    "dateutil": "python-dateutil",
    "urllib3": "urllib3",
    "six": "six",
}
"""Importable name -> distribution, for boto3 and everything it imports."""
SERVICES = ("sagemaker", "s3", "stepfunctions", "cloudwatch", "ssm", "sts")
"""botocore service models the handlers need; the other ~440 are left out (about 25 MB)."""
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc")


def handler_source() -> Path:
    """The handler folder: package data in an installed wheel, ``lambda/`` in a source checkout."""
    packaged = Path(__file__).parents[1] / "_lambda" / FUNCTION
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[3] / "lambda" / FUNCTION


def handler_asset() -> Path:
    """A directory ready for ``lambda.Code.from_asset``: handlers at the root, then the SDK."""
    source = handler_source()
    key = _cache_key(source)
    target = _cache_root() / key
    if not target.is_dir():
        staging = Path(tempfile.mkdtemp(prefix=f"{key}-", dir=_cache_root()))
        _build(source, staging)
        try:
            os.replace(staging, target)
        except OSError:  # another process built the same key first
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _build(source: Path, into: Path) -> None:
    for handler in sorted(source.glob("*.py")):
        shutil.copy2(handler, into / handler.name)
    for name in SDK_DISTRIBUTIONS:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise RuntimeError(f"{name} is not installed; cdk-genai-inference bundles it into its Lambda asset")
        origin = Path(spec.origin)
        if origin.name == "__init__.py":
            shutil.copytree(origin.parent, into / name, ignore=_botocore_data if name == "botocore" else _SKIP)
        else:
            shutil.copy2(origin, into / origin.name)


def _botocore_data(directory: str, names: list[str]) -> set[str]:
    skipped = set(_SKIP(directory, names))
    if Path(directory).name == "data" and Path(directory).parent.name == "botocore":
        skipped |= {n for n in names if (Path(directory) / n).is_dir() and n not in SERVICES}
    return skipped


def _cache_key(source: Path) -> str:
    digest = hashlib.sha256()
    for name, distribution in sorted(SDK_DISTRIBUTIONS.items()):
        digest.update(f"{name}={importlib.metadata.version(distribution)}\n".encode())
    digest.update(",".join(SERVICES).encode())
    for handler in sorted(source.glob("*.py")):
        digest.update(handler.name.encode() + b"\0" + handler.read_bytes())
    return f"{FUNCTION}-{digest.hexdigest()[:16]}"


def _cache_root() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    root = base / "cdk-genai-inference" / "assets"
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError:
        root = Path(tempfile.gettempdir()) / "cdk-genai-inference-assets"
        root.mkdir(parents=True, exist_ok=True)
    return root


def handler_module(name: str) -> ModuleType:
    """Import one of the handlers' pure modules (e.g. ``aiperf_results``) for use outside Lambda,
    from the same files the asset ships. Their names are unique, so appending the folder to the
    import path shadows nothing."""
    folder = str(handler_source())
    if folder not in sys.path:
        sys.path.append(folder)
    return importlib.import_module(name)
