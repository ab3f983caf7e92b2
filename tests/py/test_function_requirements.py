"""The deployed functions build from py_functions/requirements.txt alone: every package their
code imports must be listed there or come with one that is."""

from __future__ import annotations

import ast
import sys
from importlib.metadata import distribution, packages_distributions

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from scripts.stack_env import REPO_ROOT

FUNCTIONS = REPO_ROOT / "py_functions"


def imported_modules() -> set[str]:
    modules: set[str] = set()
    for path in FUNCTIONS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - {"walltrack", "__future__"}


def name(requirement: str) -> str:
    return canonicalize_name(Requirement(requirement).name)


def installed_with(listed: set[str]) -> set[str]:
    """The listed distributions and everything they pull in."""
    seen: set[str] = set()
    pending = list(listed)
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        for text in distribution(current).requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(canonicalize_name(requirement.name))
    return seen


def test_every_package_the_functions_import_is_deployed() -> None:
    lines = (FUNCTIONS / "requirements.txt").read_text().splitlines()
    listed = {name(line.split("#")[0]) for line in lines if line.split("#")[0].strip()}
    deployed = installed_with(listed)
    owners = packages_distributions()
    missing = {
        module: owners.get(module)
        for module in imported_modules()
        if not {name(d) for d in owners.get(module, [module])} & deployed
    }
    assert missing == {}
