"""The shape of ``course_utils`` (ARCHITECTURE.md): no import cycle of any length, and the grader's
sub-packages import only the layers below them.

The import graph is read from every module's source (its AST), so imports inside functions and
relative imports count as much as the ones at the top of a file: a cycle that only closes when a
function runs is still a cycle.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "course_utils"
GRADING = "course_utils.grading"

#: the grader's layers, lowest first, and the layers each may import (besides itself); every
#: module of ``course_utils.grading`` belongs to exactly one (ARCHITECTURE.md, "The grader's layers")
LAYERS: dict[str, tuple[str, ...]] = {
    "shared": (),
    "notebook": ("shared",),
    "course": ("shared", "notebook"),
    "sandbox": ("shared", "notebook"),
    "authoring": ("shared", "sandbox"),
    "stages": ("shared", "notebook", "course", "sandbox", "authoring"),
    "learner": ("shared", "notebook", "course", "sandbox", "authoring", "stages"),
    "commands": ("shared", "notebook", "course", "sandbox", "authoring", "stages", "learner"),
}

#: modules of ``course_utils.grading`` that are not in a sub-package named for their layer
TOP_LEVEL = {
    "course_utils.grading": "shared",  # the public names; everything else lazily, by name
    "course_utils.grading.errors": "shared",
    "course_utils.grading.config": "shared",
    "course_utils.grading.safetext": "shared",
    "course_utils.grading.scoring": "shared",
    "course_utils.grading.exercise_tests": "shared",
    "course_utils.grading.compare": "authoring",
    "course_utils.grading.credit": "authoring",
    "course_utils.grading.plugin": "authoring",
    # a command line names it (python -m course_utils.grading.gradescope run, in every bundle)
    "course_utils.grading.gradescope": "course",
    # the names the capstone notebook imports: aliases of course.answers and course.rubric
    "course_utils.grading.answers": "course",
    "course_utils.grading.rubric": "course",
}


def module_files(root: Path, package: str) -> dict[str, Path]:
    """``{dotted module name: file}`` for every module of ``package`` under ``root``."""
    found = {}
    for path in sorted((root / package.replace(".", "/")).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imported_modules(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of ``modules`` that module ``name`` imports anywhere in its source: at the top,
    inside functions, relative or absolute. ``from a import b`` is module ``a.b`` when that is a
    module, else ``a``."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            targets = [f"{prefix}.{alias.name}" if f"{prefix}.{alias.name}" in modules else prefix
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # import a.b.c of a package a.b: the package
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


@functools.lru_cache
def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """``{module: the modules it imports}`` for every module of ``package``."""
    modules = module_files(root, package)
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as ``[a, b, ..., a]``, or None when the graph has none (depth-first
    search; a module met again while still on the path closes a cycle)."""
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        path, on_path = [start], {start}
        stack = [iter(sorted(graph[start]))]
        while stack:
            following = next(stack[-1], None)
            if following is None:
                finished = path.pop()
                on_path.discard(finished)
                done.add(finished)
                stack.pop()
            elif following in on_path:
                return path[path.index(following):] + [following]
            elif following not in done:
                path.append(following)
                on_path.add(following)
                stack.append(iter(sorted(graph.get(following, ()))))
    return None


def unresolved_names(path: Path, name: str, modules: dict[str, Path]) -> list[str]:
    """What ``path`` (module ``name``; "" outside the package) names in ``course_utils`` that is
    not there: an import whose module is missing (``from ..heap import x`` one package too
    shallow), or a string that spells a module path (``"course_utils.grading.child"``, given to
    the template to preload) naming neither a module nor a name in one."""
    missing = []
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.level and name:
            base = name.split(".") if is_package else name.split(".")[:-1]
            base = base[:len(base) - (node.level - 1)]
            dotted = ".".join(base + ([node.module] if node.module else []))
            if dotted not in modules:
                missing.append(f"line {node.lineno}: from {'.' * node.level}{node.module or ''} ({dotted})")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            targets = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            missing += [f"line {node.lineno}: import {target}" for target in targets
                        if target.split(".")[0] == PACKAGE and target not in modules]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(
                rf"{PACKAGE}(\.[A-Za-z_]\w*)+", node.value):
            module, rest = node.value, []
            while module not in modules:
                module, _, last = module.rpartition(".")
                rest.insert(0, last)
            if rest and rest[0] not in defined_names(modules[module]):
                missing.append(f"line {node.lineno}: {node.value!r}")
    return missing


def defined_names(path: Path) -> set[str]:
    """The names a module binds at its top level (definitions, assignments, imports), and the
    strings of one with a module ``__getattr__`` (the names it gives lazily)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name)}
    if "__getattr__" in names:
        names |= {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    return names


def layer_of(module: str) -> str | None:
    """The grader layer of ``module`` (a sub-package is the layer it is named for)."""
    if module in TOP_LEVEL:
        return TOP_LEVEL[module]
    part = module.removeprefix(GRADING + ".").split(".")[0]
    return part if module.startswith(GRADING + ".") and part in LAYERS else None


def test_course_utils_has_no_import_cycle():
    cycle = find_cycle(import_graph(ROOT, PACKAGE))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_every_grading_module_belongs_to_a_layer():
    unplaced = [name for name in module_files(ROOT, GRADING) if layer_of(name) is None]
    assert not unplaced, f"not in a layer (put them in a sub-package, or in TOP_LEVEL): {unplaced}"


def test_each_grading_layer_imports_only_the_layers_below_it():
    graph = import_graph(ROOT, PACKAGE)
    wrong = [f"{name} ({layer_of(name)}) imports {target} ({layer_of(target)})"
             for name, targets in sorted(graph.items()) if name.startswith(GRADING)
             for target in sorted(targets) if target.startswith(GRADING)
             if layer_of(target) != layer_of(name) and layer_of(target) not in LAYERS[layer_of(name) or "shared"]]
    assert not wrong, "imports against the layering of ARCHITECTURE.md:\n" + "\n".join(wrong)


def test_the_sandbox_never_imports_the_course_operations_or_the_stages():
    graph = import_graph(ROOT, PACKAGE)
    crossing = [(name, target) for name, targets in graph.items() if layer_of(name) == "sandbox"
                for target in targets if layer_of(target) in {"course", "stages", "learner", "commands"}]
    assert crossing == []


def test_every_module_path_named_in_the_project_exists():
    """Imports and module-path strings in course_utils, tests/ and benchmarks/ name modules that
    are there: a module moved into a sub-package leaves no stale path behind."""
    modules = module_files(ROOT, PACKAGE)
    files = {path: name for name, path in modules.items()}
    files.update({path: "" for folder in ("tests", "benchmarks") for path in sorted((ROOT / folder).rglob("*.py"))})
    stale = {str(path.relative_to(ROOT)): found for path, name in files.items()
             if (found := unresolved_names(path, name, modules))}
    assert stale == {}


#: the stages in the order a submission goes through them (course_utils.grading.stages)
STAGES = ["discover", "extract", "run", "score", "write"]


def test_each_stage_imports_only_the_stages_before_it():
    graph = import_graph(ROOT, PACKAGE)
    stage = {f"{GRADING}.stages.{name}": number for number, name in enumerate(STAGES)}
    backwards = [(name, target) for name in stage for target in graph[name]
                 if target in stage and stage[target] >= stage[name]]
    assert backwards == []


def test_no_module_or_sub_package_of_grading_hides_one_of_its_public_names():
    """``from course_utils.grading import check`` must give the function, not a module of that
    name: importing a submodule sets it as an attribute of the package."""
    import course_utils.grading as grading

    names = {path.stem if path.suffix == ".py" else path.name
             for path in Path(grading.__file__).parent.iterdir() if path.suffix == ".py" or (path / "__init__.py").is_file()}
    assert names & (set(grading.__all__) | set(grading._LAZY)) == set()


def _package(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_cycle_finder_names_a_cycle_closed_by_an_import_inside_a_function(tmp_path):
    _package(tmp_path, {"pkg/__init__.py": "", "pkg/sub/__init__.py": "",
                        "pkg/a.py": "from .sub import b\n",
                        "pkg/sub/b.py": "def later():\n    from ..c import value\n",
                        "pkg/c.py": "from pkg import a\nvalue = 1\n"})
    assert find_cycle(import_graph(tmp_path, "pkg")) == ["pkg.a", "pkg.sub.b", "pkg.c", "pkg.a"]


def test_a_relative_import_one_package_too_shallow_is_found(tmp_path):
    _package(tmp_path, {"course_utils/__init__.py": "", "course_utils/heap.py": "",
                        "course_utils/grading/__init__.py": "", "course_utils/grading/sandbox/__init__.py": "",
                        "course_utils/grading/sandbox/template.py": "from ..heap import keep\nfrom ...heap import keep\n"
                                                                    "NAMES = ['course_utils.grading.child']\n"})
    modules = module_files(tmp_path, PACKAGE)
    path = tmp_path / "course_utils/grading/sandbox/template.py"
    assert unresolved_names(path, "course_utils.grading.sandbox.template", modules) == [
        "line 1: from ..heap (course_utils.grading.heap)", "line 3: 'course_utils.grading.child'"]


def test_the_cycle_finder_accepts_a_graph_that_only_goes_down(tmp_path):
    _package(tmp_path, {"pkg/__init__.py": "", "pkg/a.py": "from . import b\nimport pkg.c\n",
                        "pkg/b.py": "def later():\n    from .c import value\n", "pkg/c.py": "value = 1\n"})
    graph = import_graph(tmp_path, "pkg")
    assert graph["pkg.a"] == {"pkg.b", "pkg.c"} and find_cycle(graph) is None


@pytest.mark.parametrize("name", ["course_utils.grading.compare", "course_utils.grading.plugin",
                                  "course_utils.grading.credit", "course_utils.grading.errors",
                                  "course_utils.grading.answers", "course_utils.grading.rubric",
                                  "course_utils.grading.gradescope"])
def test_the_module_names_that_exercises_and_bundles_import_are_kept(name):
    assert name in module_files(ROOT, GRADING)
