"""Real files from other tools (see README.md here for their sources and licences)."""

from pathlib import Path

INTEROP_DATA = Path(__file__).resolve().parent / "interop"
