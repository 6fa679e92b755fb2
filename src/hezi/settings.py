"""The one configuration object, read from HEZI_* environment variables and built once at start."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

_REPO_WEB_DIST = Path(__file__).resolve().parents[2] / "web" / "dist"


class Settings(BaseSettings):
    """Everything hezi reads from its environment; pass it down, never import a global."""

    model_config = SettingsConfigDict(env_prefix="HEZI_", env_file=None, extra="ignore")

    data_dir: Path = Path("data")
    host: str = "127.0.0.1"
    port: int = 8080
    # An external PostgreSQL (with pgvector); when unset hezi runs its own in data_dir/postgres.
    database_url: str | None = None
    admin_username: str = "admin"
    admin_password: SecretStr | None = None
    run_worker: bool = Field(default=True, description="run a job worker inside `hezi serve`")
    web_dist: Path = _REPO_WEB_DIST
    log_level: str = "INFO"
    log_json: bool = True

    session_ttl_hours: int = 24 * 7
    cookie_secure: bool = False
    max_body_bytes: int = Field(default=1024 * 1024, description="largest request body, except uploads")
    chat_file_max_bytes: int = Field(
        default=10 * 1024 * 1024, description="largest file a person may attach to a question in chat"
    )
    max_document_bytes: int = Field(
        default=100 * 1024 * 1024, description="largest document a knowledge base takes (upload or URL)"
    )

    # Login throttling: after `login_slow_after` failures each attempt waits, after `login_max_failures`
    # the account (or address) is refused for `login_lockout_seconds`.
    login_slow_after: int = 3
    login_max_failures: int = 5
    login_ip_max_failures: int = 20
    login_lockout_seconds: int = 300
    login_failure_window_seconds: int = 900
    login_delay_seconds: float = 1.0

    audit_retention_days: int = 180

    # Secrets at rest and outbound calls
    secret_key: SecretStr | None = None
    egress_allow_cidrs: str = Field(default="", description="comma-separated ranges outbound calls may reach")

    # Observability: /metrics needs this bearer token when set, else answers loopback clients only.
    metrics_token: SecretStr | None = None
    hardware_sample_seconds: float = 5.0

    # Serving
    deploy_bundled: bool = Field(default=True, description="register and deploy the bundled models on start")
    gateway_queue_per_model: int = 32
    gateway_wait_for_replica_seconds: float = Field(
        default=30.0, ge=0, description="how long a request waits for a starting or restarting model (0: refuse)"
    )
    # The most memory deployments may count on, when other services share the box (default: all available).
    model_memory_budget_bytes: int | None = None
    max_model_upload_bytes: int = 64 * 1024**3

    # Knowledge: scanned PDF pages are read by OCR (RapidOCR; its models ship in the wheel, so on by default).
    knowledge_ocr: bool = True
    knowledge_ocr_max_pages: int = Field(default=100, ge=1, description="more pages needing OCR fail the document")
    knowledge_url_timeout_seconds: float = Field(default=30.0, gt=0, description="a URL import's whole fetch")

    # The code sandbox (agents' code interpreter): limits per run; the interpreter is found when unset.
    sandbox_wall_seconds: float = Field(default=10.0, gt=0, description="a code run's wall-clock limit")
    sandbox_cpu_seconds: int = Field(default=5, ge=1, description="CPU time of each process of a code run")
    sandbox_memory_bytes: int = Field(default=512 * 1024**2, ge=64 * 1024**2, description="address space per process")
    sandbox_processes: int = Field(default=64, ge=2, description="processes and threads a code run may have")
    sandbox_output_bytes: int = Field(default=1024**2, ge=1024, description="stdout and stderr together")
    sandbox_disk_bytes: int = Field(default=64 * 1024**2, ge=1024**2, description="the run's private /tmp")
    sandbox_python: Path | None = Field(default=None, description="the interpreter code runs under")

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def run_dir(self) -> Path:
        """Where worker sockets live. Unix socket paths are limited to ~100 bytes, so long data paths
        fall back to a short directory under /tmp named after the data directory."""
        preferred = self.resolved_data_dir / "run"
        if len(str(preferred)) <= 80:
            return preferred
        import hashlib
        import tempfile

        tag = hashlib.sha256(str(preferred).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"hezi-{tag}"
