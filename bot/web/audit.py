"""A household's audit trail in words (the household page): for each entry who did it,
when, what happened, and the changed fields with their labels and values in the reader's
language — names rather than ids where a name is known, stored values by their labels."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.flags.measures import MeasureType
from bot.core.households.record import AuditNames, AuditRecord, HouseholdRecord
from bot.core.roster.changes import ChangeKind
from bot.domain.model import (
    Category,
    ContactChannel,
    ContactEvent,
    ContactStatus,
    FlagSource,
    FlagStatus,
    Guarantee,
    HouseholdStatus,
    LabelledEnum,
)
from bot.domain.problems import problem_wording
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.web.labels import AUDIT_ACTIONS, AUDIT_ENTITIES, CHANGE_KINDS, MEASURE_STATUS

EMPTY = "—"
SEPARATOR = "、"


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    who: str
    what: str  # the entity and what happened to it, e.g. 联系记录（2026-03-05）· 已更正
    fields: list[tuple[str, str]]  # (label, value) in the reader's words


FIELD_LABELS = {
    "household_id": N_("Household"),
    "person_id": N_("Contact person"),
    "flag_id": N_("Red flag"),
    "contact_id": N_("Contact"),
    "occurred_on": N_("Date"),
    "channel": N_("Channel"),
    "problems": N_("Problems"),
    "events": N_("Events"),
    "income": N_("Income per person (yuan/year)"),
    "income_measured_on": N_("Income measured on"),
    "note": N_("Note"),
    "photo_file_id": N_("Photo"),
    "status": N_("Status"),
    "contact_status": N_("Contact"),
    "source": N_("Source"),
    "reason": N_("Reason"),
    "deadline": N_("Deadline"),
    "days": N_("Days"),
    "decided_on": N_("Date of the county's decision"),
    "document": N_("Document number"),
    "kind": N_("Type"),
    "what": N_("What"),
    "responsible": N_("Responsible"),
    "amount": N_("Amount (yuan)"),
    "major_event": N_("Major event"),
    "number": N_("Household number"),
    "village": N_("Village"),
    "group_name": N_("Group"),
    "head_name": N_("Head of household"),
    "id_number": N_("ID number"),
    "phone": N_("Phone"),
    "members": N_("Members"),
    "category": N_("Category"),
    "risk_types": N_("Risk types"),
    "exit_year": N_("Year lifted out of poverty"),  # 脱贫年度
    "social_support": N_("Dibao / extreme poverty / disability"),  # 低保/特困/残疾
    "identified_on": N_("First identified on"),  # 原识别时间
    "meeting_on": N_("Meeting date"),
    "why": N_("Why"),
}
WHY = {
    "office_decided": N_("the town office decided"),
    "contact_withdrawn": N_("the contact was withdrawn"),
    "contact_corrected": N_("the contact was corrected"),
}
# Where an entity's own word says it better than "<entity> · <action>".
OWN_WORDS = {
    ("assignment", "create"): N_("contact person assigned"),
    ("assignment", "end"): N_("contact person's assignment ended"),
}
RAISED = N_("raised")
ALL_FINE = N_("all fine")
COMMAND_LINE = N_("the operator (command line)")
HAS_PHOTO = N_("yes")
MOVED = "{before} → {after}"
# Stored values by their labels: the first enum that knows the value wins (a status is a
# flag's, a contact's, a household's or a measure's).
ENUMS_OF: dict[str, tuple[type[LabelledEnum], ...]] = {
    "channel": (ContactChannel,),
    "events": (ContactEvent,),
    "status": (FlagStatus, ContactStatus, HouseholdStatus),
    "contact_status": (ContactStatus,),
    "source": (FlagSource,),
    "category": (Category,),
    "kind": (MeasureType,),
}


def audit_lines(record: HouseholdRecord) -> list[AuditLine]:
    """The record's audit trail, newest first, in the reader's words."""
    words = _Words(record.names, record.card.household_id, record.card.head_name)
    return [words.line(entry) for entry in record.audit]


class _Words:
    def __init__(self, names: AuditNames, household_id: int, head_name: str) -> None:
        self.measure = False  # the entry shown is an assistance measure's (its own statuses)
        self.names = names
        self.household_id = household_id
        self.head_name = head_name
        self.by_key: dict[str, Callable[[Any], str]] = {
            "household_id": self.household,
            "person_id": self.person,
            "flag_id": lambda value: _("red flag #{id}").format(id=value),
            "contact_id": self.contact,
            "photo_file_id": lambda value: _(HAS_PHOTO),
            "why": lambda value: _(WHY[value]) if value in WHY else str(value),
        }

    def line(self, entry: AuditRecord) -> AuditLine:
        who = _(COMMAND_LINE) if entry.actor == "cli" else entry.actor
        self.measure = entry.entity == "assistance_measure"
        return AuditLine(entry.at, who, self.what(entry), self.fields(entry))

    def what(self, entry: AuditRecord) -> str:
        if (entry.entity, entry.action) in OWN_WORDS:
            return _(OWN_WORDS[entry.entity, entry.action])
        if entry.entity == "contact":
            subject = _("contact of {day}").format(day=self.contact(entry.entity_id))
        elif entry.entity == "red_flag":
            subject = _("red flag #{id}").format(id=entry.entity_id)
        elif entry.entity in AUDIT_ENTITIES:
            subject = _(AUDIT_ENTITIES[entry.entity])
        else:
            subject = entry.entity
        actions = {**AUDIT_ACTIONS, **CHANGE_KINDS}
        if entry.entity == "red_flag":
            actions["create"] = RAISED
        action = _(actions[entry.action]) if entry.action in actions else entry.action
        return f"{subject} · {action}"

    def fields(self, entry: AuditRecord) -> list[tuple[str, str]]:
        changes = dict(entry.changes)
        before, after = changes.pop("before", None), changes.pop("after", None)
        if entry.entity == "household" and entry.action in set(ChangeKind):
            # A roster change keeps its old and new value (a category, or for an adjustment
            # out the household's status) as plain values.
            key = "status" if entry.action == ChangeKind.ADJUSTED_OUT else "category"
            before, after = {key: before}, {key: after}
        shown: list[tuple[str, str]] = []
        if isinstance(before, dict) or isinstance(after, dict):
            old, new = before or {}, after or {}
            for key in [*old, *(key for key in new if key not in old)]:
                shown.append((self.label(key), self.moved(key, old.get(key), new.get(key))))
        for key, value in changes.items():
            if key != "problems" and value in (None, "", [], {}):
                continue  # nothing to say (a contact without a note, a photo …)
            if key == "household_id" and value == self.household_id:
                continue  # the page is the household's: naming it again says nothing
            if key in ("status", "deadline") and isinstance(value, list) and len(value) == 2:
                shown.append((self.label(key), self.moved(key, *value)))
            else:
                shown.append((self.label(key), self.value(key, value)))
        return shown

    def moved(self, key: str, before: Any, after: Any) -> str:
        return MOVED.format(before=self.value(key, before), after=self.value(key, after))

    def label(self, key: str) -> str:
        return _(FIELD_LABELS[key]) if key in FIELD_LABELS else key

    def value(self, key: str, value: Any) -> str:
        if key == "problems" and value == []:
            return _(ALL_FINE)
        if value is None or value == "" or value == []:
            return EMPTY
        if isinstance(value, list):
            return SEPARATOR.join(self.value(key, item) for item in value)
        if isinstance(value, dict):  # nothing writes one here yet: shown as it is, not lost
            return "; ".join(
                f"{self.label(inner)} {self.value(inner, item)}" for inner, item in value.items()
            )
        if key == "problems" and value in set(Guarantee):
            return problem_wording(value)  # a problem by its wording, not the guarantee's
        if key in self.by_key:
            return self.by_key[key](value)
        if key == "status" and self.measure and value in MEASURE_STATUS:
            return _(MEASURE_STATUS[value])
        for kind in ENUMS_OF.get(key, ()):
            if value in set(kind):
                return kind(value).label
        if isinstance(value, bool):
            return _(HAS_PHOTO) if value else EMPTY
        return str(value)

    def household(self, value: Any) -> str:
        return (
            self.head_name if value == self.household_id else _("household #{id}").format(id=value)
        )

    def person(self, value: Any) -> str:
        return self.names.persons.get(value) or _("person #{id}").format(id=value)

    def contact(self, value: Any) -> str:
        day = self.names.contact_days.get(value)
        return day.isoformat() if day else f"#{value}"
