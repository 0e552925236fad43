"""The Lambda asset of the AI-job handlers: our handler modules, the library code they share, and the SDK
they were written for.

The managed Python runtimes bundle a boto3 of unknown age (the AI job APIs need botocore 1.42.93,
instance pools 1.43.1, MLflow output 1.43.24, adapters 1.43.57). So the asset carries the boto3 and
botocore installed next to this library, trimmed to the service models the handlers call. It is built
at synth by copying files: no Docker, no network. The result is cached per SDK and handler version,
so only the first synth after an upgrade pays for it.

The library never imports handler code. The code both run, the AIPerf parser package, lives in the library
(standard library only) and is copied into the asset under the name the handlers import.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

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
LIBRARY_CODE = {
    "aiperf_results": Path(__file__).parents[1] / "benchmark" / "aiperf",
    "recommended_configurations.py": Path(__file__).parents[1] / "recommendation" / "configurations.py",
}
"""Library code the handlers import, by the name it has in the asset: a module (``name.py``) or a
package folder, copied whole (its modules import each other relatively)."""
SERVICES = ("sagemaker", "s3", "stepfunctions", "cloudwatch", "ssm", "sts", "cloudformation")
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
    for name, code in LIBRARY_CODE.items():
        if code.is_dir():
            shutil.copytree(code, into / name, ignore=_SKIP)
        else:
            shutil.copy2(code, into / name)
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
    for name, path in [*((h.name, h) for h in sorted(source.glob("*.py"))), *_library_files()]:
        digest.update(name.encode() + b"\0" + path.read_bytes())
    return f"{FUNCTION}-{digest.hexdigest()[:16]}"


def _library_files() -> list[tuple[str, Path]]:
    """Every file of ``LIBRARY_CODE`` by its path in the asset."""
    files = []
    for name, code in sorted(LIBRARY_CODE.items()):
        if code.is_dir():
            files += [(f"{name}/{p.relative_to(code)}", p) for p in sorted(code.rglob("*.py"))]
        else:
            files.append((name, code))
    return files


def _cache_root() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    root = base / "cdk-genai-inference" / "assets"
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError:
        root = Path(tempfile.gettempdir()) / "cdk-genai-inference-assets"
        root.mkdir(parents=True, exist_ok=True)
    return root
