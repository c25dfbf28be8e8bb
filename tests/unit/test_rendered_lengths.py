"""Messages that show stored text stay within Telegram's 4,096 UTF-16 units at any stored
length: a flag's alert, its card and the removal request, with every text at its worst
(names of 100 emoji, a 5,000-emoji reason, thirty removal steps), as rows stored before the
limits may be."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.core.flags.acknowledgement import FlagView
from bot.core.flags.removal import FlagAct, FlagPanel, StepKind
from bot.domain.model import FlagSource, FlagStatus
from bot.i18n import use_language
from bot.messages.contact_views import contact_summary
from bot.messages.flag_notices import flag_card, flag_lines
from bot.messages.notices import flag_alert_text
from bot.storage.models import FlagStep, Household, RedFlag, Village
from bot.telegram.limits import TEXT_LIMIT
from bot.text_preview import IN_FULL, preview
from bot.utf16 import utf16_len
from tests.conftest import TZ

AT = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
EMOJI_NAME = "👤" * 100  # the longest name the rules allow, two units a character
HUGE = "🏥" * 5000


def worst_panel(steps: int) -> FlagPanel:
    household = Household(
        id=1,
        number="9" * 40,
        village=Village(id=1, name="🏘" * 100),
        group_name="🏠" * 40,
        head_name=EMOJI_NAME,
        category="marginal",
    )
    flag = RedFlag(
        id=1,
        household_id=1,
        source=FlagSource.CONTACT_PERSON,
        reason=HUGE,
        status=FlagStatus.REMOVAL_REQUESTED,
        raised_at=AT,
        acknowledged_at=AT,
        deadline=date(2026, 4, 10),
    )
    kinds = [StepKind.REMOVAL_REQUESTED, StepKind.REMOVAL_REJECTED]
    flag_steps = [
        FlagStep(
            id=n,
            flag_id=1,
            kind=kinds[n % 2],
            actor_label=EMOJI_NAME,
            at=AT,
            reason=HUGE,
            document="📄" * 100,
        )
        for n in range(steps)
    ]
    return FlagPanel(FlagView(flag, household, EMOJI_NAME, EMOJI_NAME), flag_steps, list(FlagAct))


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("steps", [0, 1, 6, 30])
def test_a_flag_card_fits_one_message_whatever_is_stored(language: str, steps: int) -> None:
    with use_language(language):
        text, _markup = flag_card(worst_panel(steps), TZ)
    assert utf16_len(text) <= TEXT_LIMIT
    assert preview(HUGE, IN_FULL) in text


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_flag_alert_fits_one_message_whatever_is_stored(language: str) -> None:
    panel = worst_panel(0)
    with use_language(language):
        text = flag_alert_text(
            panel.view, {"repeat": 3, "occasion": "unacknowledged"}, TZ, date(2026, 3, 1)
        )
    assert utf16_len(text) <= TEXT_LIMIT and text.count("🏥") < 600


def test_the_household_history_lines_of_a_flag_show_every_step_each_on_one_short_line() -> None:
    with use_language("zh"):
        lines = flag_lines(worst_panel(30), TZ, in_list=True)
    steps = [line for line in lines if line.startswith("•")]
    assert len(steps) == 30 and max(utf16_len(line) for line in lines) <= 400


def test_a_contact_summary_shows_a_long_note_shortened() -> None:
    with use_language("zh"):
        text = contact_summary(
            EMOJI_NAME, date(2026, 3, 9), date(2026, 3, 10), "phone", [], note=HUGE
        )
    assert utf16_len(text) <= TEXT_LIMIT and text.endswith("…")
