"""No package imports one above it: every import of every module, read statically with ast.

Layers, bottom to top (README, "Layout"):

0. ``normalizers`` (pure), ``opensearch_client``, ``enrichment`` and ``html_pages`` (the HTML
   page shell): none imports another;
1. ``ingest``, ``detections``, ``investigation``, ``posture``, ``opensearch_assets``, ``demo``;
2. ``siem_cli`` and the Lambda handler modules (:data:`HANDLERS`, which live in their library
   package but sit above it: no module of the library imports them);
3. ``infra``.

``tests`` and ``benchmarks`` may import anything; nothing imports them.

Same-layer imports between packages are refused unless :data:`SAME_LAYER` names them with
the reason they make sense; inside one package every module may import the others (except
its handler, which is a layer up).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.imports import Import, ImportGraph

PROJECT = Path(__file__).resolve().parent.parent

LAYERS: dict[str, int] = {
    "normalizers": 0,
    "opensearch_client": 0,
    "enrichment": 0,
    "html_pages": 0,  # the pages of siem report and siem investigate (standard library only)
    "ingest": 1,
    "detections": 1,
    "investigation": 1,
    "posture": 1,
    "opensearch_assets": 1,
    "demo": 1,
    "siem_cli": 2,
    "infra": 3,
    "scripts": 3,  # operators' per-region and verification tools (boto3 only); grant_calls, panther_corpus (dev)
}
FREE = frozenset({"tests", "benchmarks"})
HANDLERS = frozenset(
    {
        "ingest.handler",
        "detections.handler",
        "opensearch_assets.custom_resource",
        "enrichment.sync_handler",
        "investigation.action_handler",
        "posture.handler",
    }
)
"""The Lambda entry points the CDK app deploys (infra/bundling.py ``FUNCTIONS``)."""
HANDLER_LAYER = 2

SAME_LAYER: dict[tuple[str, str], str] = {
    ("detections", "investigation"): "a finding alert carries its investigation (who, role chain, "
    "when, what) and links to the investigation dashboard",
    (
        "siem_cli.demo",
        "ingest.handler",
    ): "make demo drains the moto queue through the real Lambda entry point",
    ("detections.fields", "opensearch_assets.templates"): "a rule that groups, counts or joins "
    "on a field is checked at load time against the index templates, the one definition of "
    "what is mapped with doc values",
}
"""(importer, imported) module or package -> why this same-layer import is right."""


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def layer(module: str) -> int:
    if module in HANDLERS:
        return HANDLER_LAYER
    return LAYERS[module.partition(".")[0]]


def violation(found: Import) -> str | None:
    """Why ``found`` imports upward or sideways, or ``None`` when it may."""
    importer, target = found.module, found.target
    if found.module.partition(".")[0] in FREE:
        return None
    if target.partition(".")[0] in FREE:
        return f"{target.partition('.')[0]} is imported by no package"
    low, high = layer(importer), layer(target)
    same_package = importer.partition(".")[0] == target.partition(".")[0]
    if high < low or (high == low and same_package):
        return None
    if high == low and any(
        _within(importer, source) and _within(target, imported) for source, imported in SAME_LAYER
    ):
        return None
    if high > low:
        return f"layer {high} above layer {low}"
    return f"both in layer {low}, not allowed by SAME_LAYER"


def violations(graph: ImportGraph) -> list[str]:
    found = []
    for module, path in graph.modules.items():
        for each in graph.first_party(module):
            why = violation(each)
            if why is not None:
                found.append(
                    f"{path.relative_to(graph.root)}:{each.line}: {module} imports {each.target} ({why})"
                )
    return found


def test_every_package_has_a_layer() -> None:
    unplaced = ImportGraph(PROJECT).packages - set(LAYERS) - FREE
    assert not unplaced, f"place {sorted(unplaced)} in LAYERS (tests/test_layers.py) and README's layout"


def test_no_package_imports_one_above_it() -> None:
    found = violations(ImportGraph(PROJECT))
    assert not found, "imports against the layers:\n" + "\n".join(found)


def test_every_handler_exists_and_every_allowed_same_layer_import_is_used() -> None:
    graph = ImportGraph(PROJECT)
    assert set(graph.modules) >= HANDLERS
    imports = [each for module in graph.modules for each in graph.first_party(module)]
    for source, imported in SAME_LAYER:
        assert any(_within(i.module, source) and _within(i.target, imported) for i in imports), (
            f"SAME_LAYER allows {source} -> {imported}, which nothing imports any more: remove it"
        )


def _tree(root: Path, files: dict[str, str]) -> ImportGraph:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return ImportGraph(root)


def test_the_checker_names_each_offending_module_and_import(tmp_path: Path) -> None:
    graph = _tree(
        tmp_path,
        {
            "normalizers/__init__.py": "",
            "normalizers/base.py": "from ingest.config import Settings\n",
            "opensearch_client/__init__.py": "import normalizers\n",
            "ingest/__init__.py": "",
            "ingest/config.py": "",
            "ingest/handler.py": "from . import config\n",
            "ingest/runtime.py": "def later():\n    from ingest import handler\n",
            "detections/__init__.py": "from ingest.config import Settings\nfrom investigation import x\n",
            "investigation/__init__.py": "import siem_cli\n",
            "siem_cli/__init__.py": "from ingest import handler, config\nimport tests.helpers\n",
            "tests/__init__.py": "",
            "tests/helpers.py": "import infra.app\n",
        },
    )
    found = violations(graph)
    assert found == [
        "detections/__init__.py:1: detections imports ingest.config (both in layer 1, not allowed by SAME_LAYER)",
        "ingest/runtime.py:2: ingest.runtime imports ingest.handler (layer 2 above layer 1)",
        "investigation/__init__.py:1: investigation imports siem_cli (layer 2 above layer 1)",
        "normalizers/base.py:1: normalizers.base imports ingest.config (layer 1 above layer 0)",
        "opensearch_client/__init__.py:1: opensearch_client imports normalizers "
        "(both in layer 0, not allowed by SAME_LAYER)",
        "siem_cli/__init__.py:1: siem_cli imports ingest.handler (both in layer 2, not allowed by SAME_LAYER)",
        "siem_cli/__init__.py:2: siem_cli imports tests.helpers (tests is imported by no package)",
    ]


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("from . import config", "ingest.config"),
        ("from .config import Settings", "ingest.config"),
        ("from ingest import config, missing", "ingest"),
        ("import ingest.config as c", "ingest.config"),
    ],
)
def test_imports_resolve_to_the_module_they_load(tmp_path: Path, text: str, target: str) -> None:
    graph = _tree(
        tmp_path, {"ingest/__init__.py": "", "ingest/config.py": "", "ingest/runtime.py": text + "\n"}
    )
    assert target in {each.target for each in graph.first_party("ingest.runtime")}
