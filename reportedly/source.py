"""This package's own source, as bytes to hash: what a compiled model or a drawn figure may depend on."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def source_of(*parts: str) -> bytes:
    """The source of the named modules and subpackages ('model', 'timeaxis.py'), or of the whole package when none
    is named, file after file in a fixed order."""
    paths = [PACKAGE / part for part in parts] if parts else [PACKAGE]
    files = sorted(file for path in paths for file in ([path] if path.is_file() else path.rglob("*.py")))
    return b"".join(file.read_bytes() for file in files)
