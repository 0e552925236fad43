"""What a library that loaded each construct's resources with ``CfnInclude`` would pay at least: the
template of ten endpoints (as ``measure_synth.py`` builds it) loaded as one ``CfnInclude`` per
endpoint, one for the shared model and one for what reads across endpoints (the role's policy and the
fleet dashboard), against its replay as one ``CfnResource`` each. A reference into another
``CfnInclude`` is a template parameter whose value is that resource's ``Ref`` or ``GetAtt``, and a
``DependsOn`` across them is added with ``add_dependency`` afterwards, as a library would have to do.
The script checks that the loaded stack synthesizes to the same resources before it times anything.

Usage: .venv/bin/python scripts/measure_include_per_endpoint.py [--endpoints 10] [--runs 8]
       [--clock wall|cpu|round-trips]
(Node 24 must be first on PATH, as ./dev arranges.)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import measure_synth
from aws_cdk import cloudformation_include as cfn_inc

AFTER = "~after"
"""The group loaded last: whatever references a resource of a group loaded after its own."""


def groups(endpoints: int) -> dict[str, list[str]]:
    """The template's logical ids by the construct directly under the stack that defines them, in
    loading order; a resource that references a later group moves to ``AFTER``."""
    app = cdk.App(context={"aws:cdk:enable-path-metadata": True})
    stack = cdk.Stack(app, "Measured", env=measure_synth.ENV)
    measure_synth.define_endpoints(stack, endpoints=endpoints, with_job=False, without=frozenset())
    resources = app.synth().get_stack_by_name("Measured").template["Resources"]
    group_of = {lid: r["Metadata"]["aws:cdk:path"].split("/")[1] for lid, r in resources.items()}
    order = [*dict.fromkeys(group_of.values()), AFTER]
    moved = True
    while moved:
        moved = False
        for lid, resource in resources.items():
            own = order.index(group_of[lid])
            if any(order.index(group_of[target]) > own for target in references(resource.get("Properties", {}))):
                group_of[lid], moved = AFTER, True
    layout = {name: [lid for lid in resources if group_of[lid] == name] for name in order}
    return {name: ids for name, ids in layout.items() if ids}


def references(value: Any) -> set[str]:
    """The logical ids that ``value`` names in a ``Ref`` or ``Fn::GetAtt``."""
    parameters: dict[str, tuple[str, str | None]] = {}
    parameterized(value, set(), parameters)
    return {target for target, _ in parameters.values()}


def parameterized(value: Any, local: set[str], parameters: dict[str, tuple[str, str | None]]) -> Any:
    """``value`` with each reference outside ``local`` made a parameter, recorded in ``parameters``."""
    if isinstance(value, dict):
        if len(value) == 1 and "Ref" in value and value["Ref"] not in local and not value["Ref"].startswith("AWS::"):
            parameters[f"Ref{value['Ref']}"] = (value["Ref"], None)
            return {"Ref": f"Ref{value['Ref']}"}
        if len(value) == 1 and "Fn::GetAtt" in value and value["Fn::GetAtt"][0] not in local:
            target, attribute = value["Fn::GetAtt"]
            name = f"Att{target}{attribute.replace('.', '')}"
            parameters[name] = (target, attribute)
            return {"Ref": name}
        return {k: parameterized(v, local, parameters) for k, v in value.items()}
    if isinstance(value, list):
        return [parameterized(v, local, parameters) for v in value]
    return value


@dataclass(frozen=True)
class Fragment:
    """One group's template file; its parameters, by name, with the resource (and attribute) each
    stands for; and its dependencies on other groups' resources, by the logical id that has them."""

    path: Path
    parameters: dict[str, tuple[str, str | None]]
    depends: dict[str, list[str]]


def fragments(template: dict[str, Any], layout: dict[str, list[str]], folder: Path) -> list[Fragment]:
    """Write each group of ``layout`` as a template of its own in ``folder``."""
    written = []
    for name, ids in layout.items():
        local = set(ids)
        parameters: dict[str, tuple[str, str | None]] = {}
        resources, depends = {}, {}
        for lid in ids:
            resource = dict(template["Resources"][lid])
            if outside := [d for d in resource.get("DependsOn", []) if d not in local]:
                depends[lid] = outside
                inside = [d for d in resource.pop("DependsOn") if d in local]
                resource |= {"DependsOn": inside} if inside else {}
            resources[lid] = parameterized(resource, local, parameters)
        declared = {"Parameters": {p: {"Type": "String"} for p in parameters}} if parameters else {}
        path = folder / f"{name}.json"
        path.write_text(json.dumps(declared | {"Resources": resources}))
        written.append(Fragment(path, parameters, depends))
    return written


class _Loaded:
    """A loaded resource, fetched from its ``CfnInclude`` only when something reads it (each fetch is a
    round trip, as it would be for a library)."""

    def __init__(self, include: cfn_inc.CfnInclude, logical_id: str) -> None:
        self.include, self.logical_id = include, logical_id
        self._resource: cdk.CfnResource | None = None

    @property
    def resource(self) -> cdk.CfnResource:
        if self._resource is None:
            self._resource = self.include.get_resource(self.logical_id)
        return self._resource

    def value(self, attribute: str | None) -> Any:
        """Its ``Ref`` (``attribute`` None) or its ``GetAtt`` of ``attribute``."""
        return self.resource.ref if attribute is None else self.resource.get_att(attribute)


def load(written: list[Fragment], clock: measure_synth.Clock) -> tuple[dict[str, Any], float]:
    """Synthesize the fragments as one ``CfnInclude`` each; return the template and what it took."""
    started = clock()
    app = cdk.App()
    stack = cdk.Stack(app, "Included", env=measure_synth.ENV)
    loaded: dict[str, _Loaded] = {}
    for index, fragment in enumerate(written):
        values = {name: loaded[target].value(attribute) for name, (target, attribute) in fragment.parameters.items()}
        include = cfn_inc.CfnInclude(stack, f"Group{index}", template_file=str(fragment.path), parameters=values)
        for lid in json.loads(fragment.path.read_text())["Resources"]:
            loaded[lid] = _Loaded(include, lid)
    for fragment in written:
        for lid, targets in fragment.depends.items():
            for target in targets:
                loaded[lid].resource.add_resource_dependency(loaded[target].resource)
    assembly = app.synth()
    taken = clock() - started
    return assembly.get_stack_by_name("Included").template, taken


def same_resources(left: dict[str, Any], right: dict[str, Any]) -> bool:
    """Whether two templates hold the same resources (``DependsOn`` in any order)."""

    def normal(template: dict[str, Any]) -> dict[str, Any]:
        return {
            lid: {k: sorted(v) if k == "DependsOn" else v for k, v in resource.items()}
            for lid, resource in template["Resources"].items()
        }

    return normal(left) == normal(right)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=10)
    parser.add_argument("--runs", type=int, default=8, help="paired runs after one warm-up (default 8)")
    parser.add_argument("--clock", choices=tuple(measure_synth.CLOCKS), default="wall")
    args = parser.parse_args(argv)
    layout = groups(args.endpoints)
    kind = measure_synth.CLOCKS[args.clock]
    rows: dict[str, list[float]] = {"library": [], "L1 replay": [], "CfnInclude per group": []}
    with tempfile.TemporaryDirectory() as folder, kind.start() as clock:
        for run in range(args.runs + 1):
            template, library = measure_synth.build(args.endpoints, clock=clock)
            written = fragments(template, layout, Path(folder))
            included, per_group = load(written, clock)
            if not same_resources(template, included):
                print("the groups loaded with CfnInclude synthesize to other resources", file=sys.stderr)
                return 1
            l1 = measure_synth.replay_l1(template, clock)
            if run:
                for key, taken in zip(rows, (library, l1, per_group), strict=True):
                    rows[key].append(taken)
    print(f"{args.endpoints} endpoints in {len(layout)} groups; {args.runs} paired runs, {kind.unit}, medians")
    for key, values in rows.items():
        ratios = [v / l1 for v, l1 in zip(values, rows["L1 replay"], strict=True)]
        print(f"{key:<22} {statistics.median(values):>8{kind.figure}}   vs L1 {statistics.median(ratios):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
