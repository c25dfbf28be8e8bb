"""Words the dashboard's pages show for stored values that have no label of their own."""

from __future__ import annotations

from bot.core.flags.removal import StepKind
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
