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
