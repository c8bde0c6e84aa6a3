"""``python -m rt2data.schemas._compiled``: write ``_compiled/NAME.py`` again for every precompiled schema (after a
schema changed; ``tests/test_schemas_compiled.py`` fails until then)."""

from __future__ import annotations

from pathlib import Path

from rt2data.schemas import PRECOMPILED, compiled_source


def main() -> None:
    here = Path(__file__).resolve().parent
    for name in PRECOMPILED:
        path = here / f"{name}.py"
        path.write_text(compiled_source(name), encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
