"""Settings from the environment or a `.env` file (prefix ``LGCLOUD_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

DEV_SECRET_KEY = "dev-only-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LGCLOUD_", env_file=".env", extra="ignore")

    #: Owner connection: runs migrations and administrative CLI commands.
    database_url: str = "sqlite:///./var/lgcloud.sqlite3"
    #: The application's connection. On PostgreSQL it must be a non-owner role so that
    #: row-level security applies; by default the owner URL with the user swapped for `app_role`.
    app_database_url: str | None = None
    app_role: str = "lgcloud_app"
    #: Signs certificate verification codes. Set your own in production (a warning is logged otherwise).
    secret_key: str = Field(default=DEV_SECRET_KEY, min_length=16)
    data_dir: Path = Path("./var")
    cache_dir: Path = Path.home() / ".cache" / "lgcloud"
    log_format: str = "console"  # "json" in production
    log_level: str = "INFO"
    #: Secure cookies need HTTPS; the embedded demo runs on plain http://127.0.0.1.
    cookie_secure: bool = False
    #: Run background work (webhook delivery, scheduled 差分 files) inside the web process — the
    #: embedded default of `lgcloud serve`; production runs `lgcloud linkage worker` separately.
    embedded_worker: bool = False
    #: Networks webhooks may reach although they are refused by default (loopback, link-local, …), comma
    #: separated, e.g. "127.0.0.1/32" for a receiver on the same host; see lgcloud.linkage.destinations.
    webhook_allow_networks: str = ""
    login_max_failures: int = 5
    login_lockout_seconds: int = 900

    @property
    def is_postgresql(self) -> bool:
        return make_url(self.database_url).get_backend_name() == "postgresql"

    @property
    def effective_app_database_url(self) -> str:
        if self.app_database_url:
            return self.app_database_url
        url = make_url(self.database_url)
        if url.get_backend_name() != "postgresql":
            return self.database_url
        return url.set(username=self.app_role, password=None).render_as_string(hide_password=False)


@lru_cache
def get_settings() -> Settings:
    return Settings()
