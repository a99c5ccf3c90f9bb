"""Extracts the UI's translatable strings (``_tr("...")`` calls, whose context is the one their
module's ``_tr`` passes to ``QCoreApplication.translate``; and the core's tables of user-facing
texts, ``CORE_TABLES``, whose context is named beside each), merges them into the Spanish .ts file
(keeping existing translations), and compiles the .qm with pyside6-lrelease.

    .venv/bin/python scripts/update_translations.py [--check]

``--check`` changes nothing and exits 1 when a string lacks a translation.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UI = ROOT / "avatar_desktop" / "ui"
TS = ROOT / "avatar_desktop" / "translations" / "avatar_desktop_es.ts"
QM = TS.with_suffix(".qm")
# The core knows nothing of Qt, so its user-facing texts are plain dicts; the UI translates each
# with the context named here: (module, name of the dict, context).
CORE_TABLES = [
    (ROOT / "avatar_desktop" / "core" / "errors.py", "ADVICE", "Advice"),
    (ROOT / "avatar_desktop" / "core" / "preparation.py", "PREPARATION_TEXT", "Preparation"),
]


def extract_table(path: Path, name: str) -> list[str]:
    """The string values of the dict literal assigned to ``name`` in ``path``."""
    for node in ast.walk(ast.parse(path.read_text())):
        target: ast.expr | None = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and target.id == name and isinstance(value, ast.Dict):
            return [ast.literal_eval(v) for v in value.values if v is not None]
    raise SystemExit(f"{path}: no dict literal named {name}")


def extract() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path, name, table_context in CORE_TABLES:
        found[table_context] = extract_table(path, name)
    for path in sorted(UI.glob("*.py")):
        tree = ast.parse(path.read_text())
        context = None
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == "_tr":
                for call in ast.walk(node):
                    if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                            and call.func.attr == "translate" and call.args
                            and isinstance(call.args[0], ast.Constant)):  # fmt: skip
                        context = str(call.args[0].value)
        if context is None:
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "_tr" and node.args
                    and isinstance(node.args[0], ast.Constant)):  # fmt: skip
                texts = found.setdefault(context, [])
                if node.args[0].value not in texts:
                    texts.append(str(node.args[0].value))
    return found


def read_ts() -> dict[tuple[str, str], str]:
    if not TS.exists():
        return {}
    known = {}
    for context in ET.parse(TS).getroot().iter("context"):
        name = context.findtext("name", "")
        for message in context.iter("message"):
            translation = message.find("translation")
            text = translation.text if translation is not None else None
            if text and (translation is None or translation.get("type") != "unfinished"):
                known[(name, message.findtext("source", ""))] = text
    return known


def write_ts(strings: dict[str, list[str]], known: dict[tuple[str, str], str]) -> list[str]:
    missing = []
    root = ET.Element("TS", version="2.1", language="es")
    for context, texts in sorted(strings.items()):
        node = ET.SubElement(root, "context")
        ET.SubElement(node, "name").text = context
        for text in texts:
            message = ET.SubElement(node, "message")
            ET.SubElement(message, "source").text = text
            translation = ET.SubElement(message, "translation")
            if (context, text) in known:
                translation.text = known[(context, text)]
            else:
                translation.set("type", "unfinished")
                missing.append(f"{context}: {text}")
    ET.indent(root)
    TS.write_text('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n'
                  + ET.tostring(root, encoding="unicode") + "\n")  # fmt: skip
    return missing


def main() -> int:
    strings, known = extract(), read_ts()
    missing = [f"{c}: {t}" for c, texts in strings.items() for t in texts if (c, t) not in known]
    if "--check" in sys.argv:
        for line in missing:
            print(f"untranslated: {line}")
        return 1 if missing else 0
    write_ts(strings, known)
    lrelease = Path(sys.executable).parent / "pyside6-lrelease"
    subprocess.run([str(lrelease), "-silent", str(TS), "-qm", str(QM)], check=True)
    for line in missing:
        print(f"untranslated: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
