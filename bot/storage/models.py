"""ORM models. Nothing is ever deleted: households change status, contacts are withdrawn,
assignments end. Timestamps are UTC; `Contact.occurred_on` is the local calendar day the
contact happened, as the contact person said it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC (SQLite keeps no zone), always handed back aware in UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar = {datetime: UTCDateTime, dict[str, Any]: JSON, list[str]: JSON}


FIRST_TOWN_ID = 1


class Town(Base):
    """A town (乡镇) of the county; its office (镇扶贫办) oversees its villages."""

    __tablename__ = "towns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class Village(Base):
    __tablename__ = "villages"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique in the county: a roster or a command names a village by its name alone.
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # A village added without naming its town is the first town's: the one town of a
    # single-town installation (migration 0009 creates it, named by TOWN_NAME).
    town_id: Mapped[int] = mapped_column(ForeignKey("towns.id"), index=True, default=FIRST_TOWN_ID)

    town: Mapped[Town] = relationship(lazy="joined")


class Person(Base):
    """Anyone who uses the bot: contact person (帮扶联系人), village admin, town office,
    county office. `town_id`: the town a town office person works for (None for the county)."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(20))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"))
    town_id: Mapped[int | None] = mapped_column(ForeignKey("towns.id"))
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    language: Mapped[str | None] = mapped_column(String(8))  # chosen with /language
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    unreachable_since: Mapped[datetime | None]  # blocked the bot, or never started it
    created_at: Mapped[datetime]

    village: Mapped[Village | None] = relationship(lazy="joined")


class Invite(Base):
    """A one-time `/start` code. Only its SHA-256 is stored: the code itself is a secret."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_telegram_id: Mapped[int | None] = mapped_column(BigInteger)


class StartAttempt(Base):
    """A wrong `/start` code, kept to refuse accounts that guess."""

    __tablename__ = "start_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    at: Mapped[datetime]


class Household(Base):
    """A household (农户) on the monitoring roster."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)  # 户编号
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    group_name: Mapped[str] = mapped_column(String(40), default="")  # 组
    head_name: Mapped[str] = mapped_column(String(100))  # 户主姓名
    id_number: Mapped[str] = mapped_column(String(18))  # 身份证号, shown masked
    phone: Mapped[str | None] = mapped_column(String(32))
    members: Mapped[int] = mapped_column(Integer)  # 家庭人口数
    category: Mapped[str] = mapped_column(String(30))
    income: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # 年人均纯收入, yuan
    income_measured_on: Mapped[date | None] = mapped_column(Date)
    risk_types: Mapped[list[str]] = mapped_column(default=list)  # 风险类型
    # For the six forms, from the roster: 脱贫年度, 低保/特困/残疾 ("低保、残疾"), 原识别时间.
    exit_year: Mapped[int | None] = mapped_column(Integer)
    social_support: Mapped[str | None] = mapped_column(String(20))
    identified_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="monitored")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    village: Mapped[Village] = relationship(lazy="joined")


class Assignment(Base):
    """Who is the household's contact person, and since when. Ended, never deleted."""

    __tablename__ = "assignments"
    __table_args__ = (
        Index("ix_assignments_current", "household_id", "ended_at"),
        # Covers a month's assignments for each household (the coverage's counting person).
        Index("ix_assignments_window", "household_id", "started_at", "ended_at", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class Contact(Base):
    """A monthly contact (走访记录)."""

    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_household_day", "household_id", "occurred_on"),
        # Cover a month's contacts (coverage) and a person's last entry (people to reassign).
        Index("ix_contacts_month", "occurred_on", "status", "household_id", "channel"),
        Index("ix_contacts_person_entered", "person_id", "status", "entered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    occurred_on: Mapped[date] = mapped_column(Date, index=True)
    entered_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(20))
    problems: Mapped[list[str]] = mapped_column(default=list)  # guarantees with a problem
    events: Mapped[list[str]] = mapped_column(default=list)
    income: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    note: Mapped[str | None] = mapped_column(Text)
    photo_file_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default="active")
    changed_at: Mapped[datetime | None]  # last correction or withdrawal
    # One key per filled-in form: a double tap on "confirm" or a replayed update saves once.
    draft_key: Mapped[str] = mapped_column(String(64), unique=True)


class RedFlag(Base):
    """A red flag (红色标注) on a household."""

    __tablename__ = "red_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="raised")
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    raised_at: Mapped[datetime]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    acknowledged_at: Mapped[datetime | None]
    deadline: Mapped[date | None] = mapped_column(Date)  # 限期消除风险点
    closed_at: Mapped[datetime | None]
    # The town approved the village's removal request; the county's decision closes it.
    removal_approved_at: Mapped[datetime | None]
    county_decided_on: Mapped[date | None] = mapped_column(Date)  # 县级审定 date
    county_document: Mapped[str | None] = mapped_column(String(100))  # its 文号
    # The guarantees whose problems raised it (source "guarantee"): correcting the contact
    # that raised it can only take back what it raised.
    problems: Mapped[list[str]] = mapped_column(default=list, server_default="[]")
    # Retracted: the contact that raised it was corrected or withdrawn (status "withdrawn").
    withdrawn_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """A message the service starts, written in the same transaction as its cause.

    `key` makes each reminder or alert unique (recipient, subject, period, ladder step), so a
    job run twice, or caught up after downtime, queues nothing new.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(
        String(40)
    )  # "town_office" | "person:<id>" | "chat:<id>"
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)  # not held in quiet hours
    status: Mapped[str] = mapped_column(String(20), default="queued")
    created_at: Mapped[datetime]
    not_before: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # The caller's key, shared by the rows one message was fanned out into (`key` adds the
    # recipient): a message is queued once, whoever its recipients are by then.
    base_key: Mapped[str] = mapped_column(String(200), index=True)
    # The messages as rendered at the first try, and how many Telegram accepted: a retry
    # sends only the rest, and sends exactly what the first try began.
    parts: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    parts_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Telegram's id of the last part sent: a later notice about the same thing replies to it.
    message_id: Mapped[int | None] = mapped_column(BigInteger)


class AuditEntry(Base):
    """Who changed what, when (审计记录)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    actor_label: Mapped[str] = mapped_column(String(100))  # a name, or "cli"
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(30))
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)


class FsmRecord(Base):
    """aiogram conversation state, kept in the database so a restart resumes the form."""

    __tablename__ = "fsm_states"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ProcessedUpdate(Base):
    """Telegram update ids already handled: the same update delivered twice runs once."""

    __tablename__ = "processed_updates"
    __table_args__ = (UniqueConstraint("bot_id", "update_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bot_id: Mapped[int] = mapped_column(BigInteger)
    update_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(index=True)


class AppState(Base):
    """Small facts the service keeps about itself (e.g. the first-start admin link)."""

    __tablename__ = "app_state"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class OfficeGroup(Base):
    """An office's group: a town office's (镇办工作群, `town_id` its town) or the county
    office's (`town_id` None), as a person of that office confirmed it in the group. One row
    per office at most; the TOWN_OFFICE_CHAT_ID setting, when set, overrides a single town's."""

    __tablename__ = "office_group"
    __table_args__ = (Index("uq_office_group_town_id", "town_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int | None] = mapped_column(ForeignKey("towns.id"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(255))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    confirmed_at: Mapped[datetime]


class JobRun(Base):
    """A scheduled job done for one moment of the escalation ladder. Catch-up after downtime
    asks here, not the scheduler's memory, whether the moment's run happened."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "scheduled_for"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    scheduled_for: Mapped[datetime]
    ran_at: Mapped[datetime]
    queued: Mapped[int] = mapped_column(Integer, default=0)  # outbox rows it added


class AssistanceMeasure(Base):
    """One measure of a household's assistance plan (一户一方案、一人一措施)."""

    __tablename__ = "assistance_measures"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    flag_id: Mapped[int | None] = mapped_column(ForeignKey("red_flags.id"))  # the risk it answers
    kind: Mapped[str] = mapped_column(String(30))  # bot.core.flags.measures.MeasureType
    what: Mapped[str] = mapped_column(Text)
    responsible: Mapped[str] = mapped_column(String(100))  # 责任人
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # yuan
    started_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="active")
    # For a 不享受政策 household a subsidy needs a major event (disaster, family crisis).
    major_event: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]


class FlagStep(Base):
    """A step in a red flag's removal (销号): requested by the village, reviewed by the town,
    decided by the county. Kept, never changed: a rejected request stays on record."""

    __tablename__ = "flag_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("red_flags.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # bot.core.flags.removal.StepKind
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    actor_label: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(Text)
    decided_on: Mapped[date | None] = mapped_column(Date)  # the county's decision date
    document: Mapped[str | None] = mapped_column(String(100))  # the county's 文号


class HouseholdChange(Base):
    """A roster change decided at a meeting (动态调整, 会议记录): a new household, a category
    change, a household adjusted out. The six forms' 调整类型/调整原因/会议记录日期 read here."""

    __tablename__ = "household_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "added" | "category" | "adjusted_out"
    old_value: Mapped[str | None] = mapped_column(String(100))
    new_value: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    meeting_on: Mapped[date] = mapped_column(Date)  # 会议记录日期
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    actor_label: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime]
