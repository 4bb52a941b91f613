"""The command line."""

from reportedly.cli.main import main

__all__ = ["main"]
