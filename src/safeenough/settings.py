"""All settings in one typed place. Each is read from an environment variable prefixed SAFEENOUGH_."""

import os
from datetime import UTC, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, HttpUrl, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCALTIME = Path("/etc/localtime")
ETC_TIMEZONE = Path("/etc/timezone")


def default_data_dir() -> Path:
    return Path.cwd() / "data"


def local_time_zone() -> str:
    """The machine's own time zone as an IANA name (`TZ`, /etc/localtime, /etc/timezone), else UTC."""
    candidates = [os.environ.get("TZ", "").removeprefix(":")]
    if LOCALTIME.is_symlink():
        target = str(LOCALTIME.resolve())
        if "/zoneinfo/" in target:
            candidates.append(target.split("/zoneinfo/", 1)[1])
    if ETC_TIMEZONE.is_file():
        candidates.append(ETC_TIMEZONE.read_text(encoding="utf-8").strip())
    for name in candidates:
        if name and _is_zone(name):
            return name
    return "UTC"


def _is_zone(name: str) -> bool:
    if name == "UTC":
        return True  # known even where the machine has no time zone database
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone_named(name: str) -> tzinfo:
    return UTC if name == "UTC" else ZoneInfo(name)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAFEENOUGH_", extra="ignore")

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Folder for the embedded SQLite database, the key file and backups.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; unset means SQLite in data_dir. "
        "PostgreSQL: postgresql+psycopg://user:password@host/dbname",
    )
    secret_key_file: Path | None = Field(
        default=None,
        description="Key file for encrypting clinical text at rest; unset means data_dir/secret.key.",
    )
    session_max_age_seconds: int = Field(
        default=8 * 60 * 60, ge=60, description="How long a login lasts without activity."
    )
    login_attempts_allowed: int = Field(
        default=5, ge=1, description="Failed logins allowed per username within the lockout window."
    )
    login_lockout_seconds: int = Field(
        default=15 * 60, ge=1, description="The lockout window for failed logins."
    )
    checkin_link_days: int = Field(
        default=4,
        ge=1,
        description="How long a client's check-in link stays valid, in days (the server and the command "
        "line must agree: the server refuses a link older than its own setting).",
    )
    checkin_instruments: str = Field(
        default="safeenough-safety",
        description="Comma-separated instrument ids asked in a check-in unless the therapist picks others.",
    )
    time_zone: str = Field(
        default_factory=local_time_zone,
        description="IANA time zone (e.g. Europe/Berlin) that times are shown in, with its abbreviation; "
        "unset means the machine's own zone, or UTC where it cannot be told. Times are stored in UTC.",
    )
    secure_cookies: bool = Field(
        default=False, description="Mark cookies Secure; turn on when served over HTTPS."
    )
    crisis_contact: str = Field(
        default="",
        max_length=300,
        description="Who a client should contact at once if they are thinking of harming themselves (e.g. "
        "'the practice on 0123 456 789, or Samaritans on 116 123'); shown on check-ins that ask about it. "
        "Unset: their local emergency number or a crisis line.",
    )
    public_url: HttpUrl | None = Field(
        default=None,
        description="The address clients reach the app at (e.g. https://checkin.example-practice.org): "
        "check-in links start with it. Unset: the address the therapist's browser used.",
    )

    @property
    def checkin_base_url(self) -> str | None:
        """Where check-in links point (no trailing slash), or None to use the browser's address."""
        return None if self.public_url is None else str(self.public_url).rstrip("/")

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        if not _is_zone(value):
            raise ValueError(
                f"{value!r} is not a time zone this machine knows; give an IANA name such as "
                "Europe/Berlin, America/New_York or UTC"
            )
        return value

    @property
    def zone(self) -> tzinfo:
        return zone_named(self.time_zone)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'safeenough.sqlite3'}"

    @property
    def resolved_key_file(self) -> Path:
        return self.secret_key_file or self.data_dir / "secret.key"
