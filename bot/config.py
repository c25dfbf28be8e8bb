"""Settings, read once from the environment and an optional `.env` file."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.proxy_url import check_proxy_url
from bot.setting_problem import N_, SettingProblem
from bot.storage.batches import DEFAULT_BATCH_SIZE

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/bangfu.sqlite3"
PUBLIC_BOT_API = "https://api.telegram.org"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"


def normalise_database_url(url: str) -> str:
    """Accept the plain URLs people copy from docs and pick the async drivers bangfu uses."""
    for plain, async_prefix in (
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return async_prefix + url[len(plain) :]
    return url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: str | None = None
    database_url: str = DEFAULT_DATABASE_URL
    # Connections each process keeps open, and how many more it may open in a rush (README
    # "Several workers"). Unset: SQLite 50 and none more, PostgreSQL 20 and 10 more
    # (bot/storage/db.py says why).
    db_pool_size: int | None = Field(default=None, ge=1)
    db_max_overflow: int | None = Field(default=None, ge=0)
    telegram_api_url: str = PUBLIC_BOT_API
    # http://, https://, socks5:// or socks4:// (user:password@ optional): how the bot reaches
    # the Bot API where api.telegram.org is blocked.
    telegram_proxy: str | None = None
    town_office_chat_id: int | None = None
    # The town's name (佛子岭镇), printed before the village as 填报单位 on the six forms.
    town_name: str = ""
    timezone: str = "Asia/Shanghai"
    default_language: str = "zh"
    locales_dir: Path = LOCALES_DIR

    # Contact rules (see DOMAIN.md: these are defaults, not constants).
    contact_edit_window_hours: int = 24
    max_backdate_days: int = 60
    note_max_chars: int = 1000
    invite_ttl_days: int = 7
    households_page_size: int = 10
    # Values per query when a roster or a platform list is matched against the database
    # (PostgreSQL takes at most 32,767 in one query).
    import_batch_size: int = DEFAULT_BATCH_SIZE

    # Escalation ladder and quiet hours (scheduler).
    reminder_days: str = "20,25"
    reminder_daily_last_days: int = 3
    village_escalation_day: int = 27
    reminder_hour: int = 9
    summary_hour: int = 8
    quiet_hours_start: int = 21
    quiet_hours_end: int = 8
    flag_ack_hours: int = 24
    # The county office hears of a town's red flag still unacknowledged after this long, and
    # of a town below this coverage on the month's last day.
    county_flag_hours: int = 48
    county_coverage_floor: float = 0.8
    inactive_days: int = 30

    # Several workers (README "Several workers"). Redis holds what the workers share and is
    # not the record: the conversation state, the per-chat lock, Telegram's send budget.
    redis_url: str | None = None
    redis_prefix: str = "bangfu"  # every key bangfu writes in Redis starts with it
    # Webhook mode (`bangfu run --webhook URL`): the header Telegram sends with every update.
    # Unset: derived from BOT_TOKEN (bot/telegram/webhook.py), so every worker agrees on it.
    webhook_secret: str | None = None
    webhook_listen: str = "127.0.0.1:8080"  # where the workers listen, behind the proxy
    webhook_max_body_bytes: int = 1024 * 1024  # Telegram's updates are a few kilobytes
    leader_poll_seconds: float = 3.0  # how often a worker that is not the leader tries
    # A sender claims a row for this long (on the service's clock) while it sends it; a row
    # whose sender died is taken again after it (scheduler/sender.py).
    outbox_lease_seconds: int = 300

    # The office dashboard (README "The office dashboard"): served beside the bot when
    # WEB_PORT is set; WEB_BASE_URL is where people's browsers reach it (the /web links, the
    # Mini App menu button when it is https).
    web_host: str = "127.0.0.1"
    web_port: int | None = None
    web_base_url: str = ""
    web_session_hours: int = 12
    web_link_minutes: int = 10
    web_init_data_max_age_seconds: int = 3600
    # A month not yet sent is counted again on the overview after this long (a county's takes
    # seconds); the page says as of when.
    web_overview_seconds: int = 60

    # Backups (bangfu backup; the nightly job runs at backup_hour, local time).
    backup_dir: Path = Path("backups")
    backup_keep: int = 30
    nightly_backup: bool = True
    backup_hour: int = 2

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("telegram_proxy")
    @classmethod
    def _proxy_url(cls, value: str | None) -> str | None:
        return check_proxy_url(value) if value and value.strip() else None

    @field_validator("redis_url", "webhook_secret")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value.strip() if value and value.strip() else None

    @field_validator("db_pool_size", "db_max_overflow", mode="before")
    @classmethod
    def _blank_number_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)  # a typo fails at start
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingProblem(
                N_("“{value}” is no time zone (e.g. Asia/Shanghai)"), value=value
            ) from None
        return value

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in ("zh", "en"):
            raise SettingProblem(N_("it must be zh or en"))
        return value

    @field_validator("web_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith(("http://", "https://")):
            raise SettingProblem(N_("it must start with http:// or https://"))
        return value

    @property
    def web_is_https(self) -> bool:
        return self.web_base_url.startswith("https://")

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def reminder_day_list(self) -> list[int]:
        return sorted({int(day) for day in self.reminder_days.split(",") if day.strip()})
