"""The layering of docs/architecture.md, checked on the source: imports flow one way, every
module says what it is for in a docstring, and no module outgrows ~400 lines."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "likewise"
MAX_LINES = 420

# A module may import from its own layer and the layers below it, never from one above.
# The longest matching name wins: digest/scheduler.py runs a Library's digest every day, so
# it sits with the callers of the services, while the rest of digest/ (choosing, rendering,
# signing and sending digests) is what the digest service drives.
LAYERS: dict[str, int] = {
    "likewise": 0,  # the package's __init__: its version only
    "likewise.models": 0,
    "likewise.settings": 0,
    "likewise.secret_key": 0,
    "likewise.ingest": 1,
    "likewise.store": 1,
    "likewise.embed": 1,
    "likewise.index": 1,
    "likewise.rank": 2,
    "likewise.digest": 3,
    "likewise.services": 4,
    "likewise.library": 4,
    "likewise.cli": 5,
    "likewise.web": 5,
    "likewise.evaluate": 5,
    "likewise.digest.scheduler": 5,
}


@dataclass(frozen=True, slots=True)
class Module:
    name: str
    path: Path
    tree: ast.Module
    lines: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> list[Module]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        found.append(Module(_module_name(path), path, ast.parse(text), len(text.splitlines())))
    return found


MODULES = _modules()


def layer_of(name: str) -> int | None:
    """The layer of a module by the longest entry of LAYERS that names it or a package above."""
    best: tuple[int, int] | None = None
    for prefix, layer in LAYERS.items():
        if (name == prefix or name.startswith(prefix + ".")) and (
            best is None or len(prefix) > best[0]
        ):
            best = (len(prefix), layer)
    return None if best is None else best[1]


def imported_names(module: Module) -> list[tuple[int, str]]:
    """(line, module) for every likewise import anywhere in the module: at the top, inside
    functions, under TYPE_CHECKING (a type is a dependency too) and importlib calls."""
    package = module.name if module.path.name == "__init__.py" else module.name.rpartition(".")[0]
    names: list[tuple[int, str]] = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from likewise.rank import search` imports the module likewise.rank.search.
            names += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.append((node.lineno, node.args[0].value))
    return [(line, name) for line, name in names if name.split(".")[0] == "likewise"]


def test_the_checks_see_the_whole_package() -> None:
    names = {module.name for module in MODULES}
    assert {"likewise.library", "likewise.services.search", "likewise.web.app"} <= names
    assert len(MODULES) > 100


def test_every_module_belongs_to_a_layer() -> None:
    unplaced = [module.name for module in MODULES if layer_of(module.name) is None]
    assert unplaced == [], "add the new package to LAYERS and to docs/architecture.md"


def test_imports_flow_from_the_callers_down_to_the_models_and_never_up() -> None:
    upward = []
    for module in MODULES:
        own = layer_of(module.name)
        assert own is not None
        for line, name in imported_names(module):
            target = layer_of(name)
            if target is not None and target > own:
                upward.append(f"{module.path.relative_to(PACKAGE)}:{line} imports {name}")
    assert upward == []


def test_a_service_reaches_another_only_through_its_constructor_not_the_library() -> None:
    reaching = [
        f"{module.path.relative_to(PACKAGE)}:{line} imports {name}"
        for module in MODULES
        if module.name.startswith("likewise.services.")
        for line, name in imported_names(module)
        if name == "likewise.library" or name.startswith("likewise.library.")
    ]
    assert reaching == []


def test_the_layer_check_catches_an_upward_import() -> None:
    source = "from likewise.library import Library\n"
    fake = Module("likewise.rank.example", PACKAGE / "rank" / "example.py", ast.parse(source), 1)
    [(line, name)] = imported_names(fake)
    assert (line, name) == (1, "likewise.library.Library")
    assert (layer_of(name) or 0) > (layer_of(fake.name) or 0)


def test_relative_imports_are_resolved_against_the_package() -> None:
    source = "from . import base\nfrom ..store.base import CatalogStore\n"
    fake = Module("likewise.index.example", PACKAGE / "index" / "example.py", ast.parse(source), 2)
    assert [name for _, name in imported_names(fake)] == [
        "likewise.index.base",
        "likewise.store.base.CatalogStore",
    ]


def test_every_module_opens_with_a_docstring_of_its_responsibility() -> None:
    silent = [
        str(module.path.relative_to(PACKAGE))
        for module in MODULES
        if not (ast.get_docstring(module.tree) or "").strip()
    ]
    assert silent == []


def test_no_module_is_over_420_lines() -> None:
    long = [f"{m.path.relative_to(PACKAGE)}: {m.lines}" for m in MODULES if m.lines > MAX_LINES]
    assert long == []
