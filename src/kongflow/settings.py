"""Process configuration, read once from ``KONGFLOW_*`` environment variables.

Everything an operator can change lives in this one class so that `kongflow serve`,
`kongflow worker` and the tests agree on names and defaults.
"""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Settings shared by every kongflow process."""

    model_config = SettingsConfigDict(env_prefix="KONGFLOW_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL (postgresql://user:pass@host:port/db). "
        "Unset: kongflow runs an embedded PostgreSQL in the data directory.",
    )
    data_dir: Path = Field(
        default=Path(".kongflow"),
        description="Where the embedded database and the generated instance key live.",
    )
    secret_key: str | None = Field(
        default=None,
        description="Instance key that encrypts secrets at rest. Required with "
        "KONGFLOW_DATABASE_URL (every process on that database must share it); "
        "generated into the data directory otherwise.",
    )
    host: str = "127.0.0.1"
    port: int = 3030
    public_url: str | None = Field(
        default=None,
        description="Base URL users and endpoints reach this server at "
        "(default http://<host>:<port>).",
    )
    worker_concurrency: int = Field(default=10, ge=1, le=1000)
    api_database_connections: int = Field(
        default=20,
        ge=1,
        le=1000,
        description="Database connections each API process keeps open. Requests beyond "
        "them at one moment open extra connections that close again when returned, and a "
        "new connection costs more than the request that opened it: size this to the "
        "number of requests the process serves at once.",
    )
    worker_heartbeat_seconds: float = Field(
        default=10.0,
        gt=0,
        description="How often a worker says it is alive; one silent for three "
        "heartbeats is presumed dead and its jobs are run again.",
    )
    max_request_bytes: int = Field(
        default=8 * 1024 * 1024, ge=1024, description="Largest request body the API accepts."
    )
    endpoint_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How long kongflow waits for an endpoint to answer PING or INDEX_ENDPOINT.",
    )
    log_level: str = "INFO"

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url is None

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (read from the environment on first use)."""
    return Settings()
