"""Build the API reference from the package's docstrings with pdoc (used by ``./dev docs``).

Usage: python scripts/build_docs.py build/docs

The reference documents the package root, where every public name lives (loaded on first use, so they are
resolved here before pdoc reads the root), and the public subpackages and modules. Private modules
(``_core``, the handlers in ``_lambda``) stay out. Any warning pdoc gives (a docstring or annotation it
cannot read, a name it cannot resolve) fails the build.
"""

from __future__ import annotations

import importlib
import shutil
import sys
import time
import warnings
from pathlib import Path

import pdoc
import pdoc.render

PACKAGE = "cdk_genai_inference"
MODULES = [
    PACKAGE,
    f"{PACKAGE}.serving",
    f"{PACKAGE}.jobs",
    f"{PACKAGE}.recommendation",
    f"{PACKAGE}.benchmark",
    f"{PACKAGE}.scanners",
    f"{PACKAGE}.testing",
    f"{PACKAGE}.console",
]
"""The root's ``__all__`` lists its public names, not its subpackages, so pdoc is given each one; its
docstring links to them. (``errors`` holds only ``ValidationError``, which the root documents.)"""


def main(output: str) -> int:
    started = time.perf_counter()
    out = Path(output)
    root = importlib.import_module(PACKAGE)
    for name in root.__all__:  # the lazy names, into the root's namespace where pdoc reads members
        getattr(root, name)
    pdoc.render.configure(docformat="google", footer_text=f"{PACKAGE} API reference")
    shutil.rmtree(out, ignore_errors=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc(*MODULES, output_directory=out)
    problems = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    if problems:
        print(f"pdoc reported {len(problems)} problem(s):", *problems, sep="\n  ", file=sys.stderr)
        return 1
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
    problems = [f"a private module: {p}" for p in pages if "/_" in p]
    home = (out / f"{PACKAGE}.html").read_text()
    problems += [f"the root does not document {name}" for name in root.__all__ if f'id="{name}"' not in home]
    problems += [
        f"the root does not link to {module}"
        for module in MODULES[1:]
        if f'href="{module.replace(".", "/")}.html"' not in home
    ]
    if problems:
        print("the API reference is incomplete:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    print(f"API reference: {len(pages)} pages in {out}/ ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
