"""Keep kingadmin readable: limits on function size, complexity and file size.

Usage: ``python scripts/kingadmin_size.py`` (CI runs it with the lint).
Fails (exit 1) naming each function over ``MAX_FUNCTION_LINES`` lines or
over ``MAX_COMPLEXITY`` (radon's cyclomatic complexity), and each module over
``MAX_FILE_LINES`` lines. Tests and migrations are not counted.
"""

from __future__ import annotations

import sys
from pathlib import Path

from radon.complexity import cc_visit

MAX_FUNCTION_LINES = 60
MAX_COMPLEXITY = 15
MAX_FILE_LINES = 600
ROOT = Path(__file__).resolve().parent.parent / "kingadmin"
SKIPPED = {"tests", "migrations"}


def modules(root: Path = ROOT) -> list[Path]:
    """Return kingadmin's Python modules, tests and migrations left out."""
    return sorted(
        path
        for path in root.rglob("*.py")
        if not SKIPPED & set(path.relative_to(root).parts)
    )


def blocks(code: str):
    """Yield every function and method radon finds in ``code``, nested ones too."""
    pending = list(cc_visit(code))
    seen = set()
    while pending:
        block = pending.pop()
        pending.extend(getattr(block, "closures", ()))
        pending.extend(getattr(block, "methods", ()))
        key = (block.lineno, block.fullname)
        if not hasattr(block, "methods") and key not in seen:
            seen.add(key)
            yield block


def problems(path: Path) -> list[str]:
    """Return what breaks a limit in the module at ``path``."""
    code = path.read_text(encoding="utf-8")
    name = path.relative_to(ROOT.parent)
    found = []
    lines = code.count("\n") + 1
    if lines > MAX_FILE_LINES:
        found.append(f"{name}: {lines} lines (limit {MAX_FILE_LINES})")
    for block in blocks(code):
        length = block.endline - block.lineno + 1
        where = f"{name}:{block.lineno} {block.fullname}"
        if length > MAX_FUNCTION_LINES:
            found.append(f"{where}: {length} lines (limit {MAX_FUNCTION_LINES})")
        if block.complexity > MAX_COMPLEXITY:
            found.append(
                f"{where}: complexity {block.complexity} (limit {MAX_COMPLEXITY})"
            )
    return found


def main() -> int:
    """Print every problem; return 1 if there is any."""
    found = [problem for path in modules() for problem in problems(path)]
    for problem in found:
        print(problem)
    print(f"kingadmin size: {len(modules())} modules, {len(found)} over the limits")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
