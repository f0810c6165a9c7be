"""The one settings class; nothing else reads the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Runtime configuration, read from OUEN_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="OUEN_", extra="ignore")

    database_url: str = "sqlite:///./ouen.sqlite3"
    host: str = "127.0.0.1"
    port: int = 8000
    agreement_file: Path = PROJECT_ROOT / "agreements" / "default.toml"
    data_dir: Path = PROJECT_ROOT / "data"
    session_cookie_name: str = "ouen_session"
    session_days: int = 7
    cookie_secure: bool = False
    login_max_failures: int = 5
    login_window_seconds: int = 300
    log_level: str = "info"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
