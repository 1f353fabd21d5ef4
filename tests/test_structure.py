"""The shape of the code, checked as the code is read: areas that do not import each other's
views, no import loop in medsamtale/, and route views of at most 25 lines."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "medsamtale"
VIEW_MAX_LINES = 25


def modules() -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its own name)."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def imports(name: str, path: Path, known: dict) -> set[str]:
    """The modules of the package that `name` imports, anywhere in it (functions too)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            targets |= {f"{module}.{a.name}" if f"{module}.{a.name}" in known else module
                        for a in node.names}
        elif isinstance(node, ast.Import):
            targets |= {a.name for a in node.names}
    found = set()
    for target in targets:
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target not in (name, "medsamtale") and not name.startswith(target + "."):
            found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def areas() -> set[str]:
    """The blueprints' packages: medsamtale.agenda, medsamtale.minutes …"""
    return {f"medsamtale.{path.parent.name}" for path in PACKAGE.glob("*/views.py")}


def area_of(name: str) -> str | None:
    return next((area for area in areas() if name == area or name.startswith(area + ".")),
                None)


def test_no_area_imports_another_areas_views():
    """Only the app factory (medsamtale/__init__.py) takes the blueprints from them."""
    wrong = [(name, target) for name, targets in import_graph().items() for target in targets
             if target.endswith(".views") and name != "medsamtale"
             and area_of(target) != area_of(name)]
    assert wrong == []


def test_there_is_no_import_loop():
    graph = import_graph()

    def reachable(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for following in graph[todo.pop()]:
                if following not in seen:
                    seen.add(following)
                    todo.append(following)
        return seen

    loops = sorted({tuple(sorted((a, b))) for a in graph for b in graph[a] if a in reachable(b)})
    assert loops == []


def test_infrastructure_imports_no_area():
    """The outbox, the error pages and the change pipeline sit below the domain."""
    graph = import_graph()
    for module in ("medsamtale.outbox", "medsamtale.errors", "medsamtale.change",
                   "medsamtale.urls", "medsamtale.htmx", "medsamtale.access"):
        assert {area_of(target) for target in graph[module]} <= {None}, module


def test_no_route_view_is_longer_than_25_lines():
    long = []
    for path in PACKAGE.rglob("views.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef):
                continue
            if not any(".route(" in ast.unparse(d) for d in node.decorator_list):
                continue
            body = node.body[1:] if ast.get_docstring(node) else node.body
            if body[-1].end_lineno - body[0].lineno + 1 > VIEW_MAX_LINES:
                long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert long == []


def test_every_route_view_says_what_it_is_for():
    missing = []
    for path in PACKAGE.rglob("views.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and any(
                ".route(" in ast.unparse(d) for d in node.decorator_list
            ) and not ast.get_docstring(node):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert missing == []


def test_every_rule_the_code_cites_is_on_the_rules_page():
    """R1–R16, cited in code and templates ("R5", "R7–R10"), each have a section in
    docs/rules.md."""
    import re

    anchors = set(re.findall(r'<a id="r(\d+)"></a>', (ROOT / "docs" / "rules.md").read_text()))
    assert anchors == {str(n) for n in range(1, 17)}
    cited = set()
    for path in [*PACKAGE.rglob("*.py"), *(ROOT / "templates").rglob("*.html")]:
        for first, last in re.findall(r"\bR(\d+)(?:[–-]R?(\d+))?\b", path.read_text()):
            cited |= {str(n) for n in range(int(first), int(last or first) + 1)}
    assert cited and cited <= anchors, cited - anchors
