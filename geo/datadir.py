"""Where the reference data lives: geo/data in an installed wheel, data/ in a checkout, or a directory given by
the caller."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from geo.errors import GeoError

_INSTALLED = Path(__file__).resolve().parent / "data"  # copied there by setup.py when the wheel is built
_CHECKOUT = Path(__file__).resolve().parent.parent / "data"
DEFAULT_DATA_DIR = _INSTALLED if _INSTALLED.is_dir() else _CHECKOUT


def resolve_data_dir(data_dir: str | Path | None) -> Path:
    """The absolute data directory to read (the default one when None), as a cache key."""
    return DEFAULT_DATA_DIR if data_dir is None else _resolved(str(data_dir))


@lru_cache(maxsize=64)
def _resolved(data_dir: str) -> Path:
    # Path.resolve() asks the file system each time; lookups call this once per municipality.
    return Path(data_dir).resolve()


def data_file(data_dir: Path, name: str) -> Path:
    """Path of one reference file; GeoError when it is missing."""
    path = data_dir / name
    if not path.is_file():
        raise GeoError(name, f"reference data file {path} is missing",
                       f"参照データファイル {path} がありません")
    return path
