"""Words the dashboard's pages show for stored values that have no label of their own."""

from __future__ import annotations

from bot.core.flags.removal import StepKind
from bot.core.roster.changes import ChangeKind
from bot.domain.model import Category, HouseholdStatus
from bot.i18n import N_

STEP_LABELS = {
    StepKind.REMOVAL_REQUESTED: N_("removal requested"),
    StepKind.REMOVAL_APPROVED: N_("town approved the removal"),
    StepKind.REMOVAL_REJECTED: N_("town rejected the removal"),
    StepKind.COUNTY_DECISION: N_("county decision recorded"),
}

# The audit trail's entities and actions (uow.audit_by), in the reader's words; an action
# not listed is shown as stored.
AUDIT_ENTITIES = {
    "household": N_("household"),
    "contact": N_("contact"),
    "red_flag": N_("red flag"),
    "assignment": N_("contact person assigned"),
    "assistance_measure": N_("assistance measure"),
}
AUDIT_ACTIONS = {
    "create": N_("created"),
    "update": N_("changed"),
    "correct": N_("corrected"),
    "withdraw": N_("withdrawn"),
    "end": N_("ended"),
    "acknowledge": N_("acknowledged"),
    "set_deadline": N_("deadline set"),
    "narrow": N_("narrowed"),
    "retraction_asked": N_("town office asked whether to keep it"),
    "keep": N_("kept"),
    **STEP_LABELS,
}

# A roster change (会议记录) by its kind, and an assistance measure's state.
CHANGE_KINDS = {
    ChangeKind.ADDED: N_("added to the roster"),
    ChangeKind.CATEGORY: N_("category changed"),
    ChangeKind.ADJUSTED_OUT: N_("adjusted out of monitoring"),
}
MEASURE_STATUS = {"active": N_("In place"), "ended": N_("Ended")}


def roster_value(value: str | None) -> str:
    """A roster change's old or new value (a category, or a household's status) by its
    label; anything else as stored."""
    for kind in (Category, HouseholdStatus):
        if value in set(kind):
            return kind(value).label
    return value or ""
