"""How the six guarantees are named when one of them has a problem: the one table of
problem wordings (问题表述). An alert, a card, a summary or a form names a problem as a
problem ("住房安全无保障"), never by the guarantee's own name ("住房安全有保障"), which
reads as the opposite.

Each guarantee also has a short item name for the form's toggles ("住房安全 ✅ 有保障" /
"住房安全 ❌ 有问题"), where the state is shown beside the item, never folded into it.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain.model import Guarantee
from bot.i18n import N_, gettext, join_list, use_language

# The guarantee with a problem, as the town office and the county read it.
PROBLEM_WORDINGS: dict[Guarantee, str] = {
    Guarantee.FOOD: N_("Food not secured"),  # 吃饭无保障
    Guarantee.CLOTHING: N_("Clothing not secured"),  # 穿衣无保障
    Guarantee.EDUCATION: N_("Compulsory education not secured"),  # 义务教育无保障
    Guarantee.MEDICAL: N_("Basic medical care not secured"),  # 基本医疗无保障
    Guarantee.HOUSING: N_("Housing not safe"),  # 住房安全无保障
    Guarantee.WATER: N_("Drinking water not safe"),  # 饮水安全无保障
}

# The item alone, with no verdict in it: the toggle adds ✅ or ❌ beside it.
ITEM_NAMES: dict[Guarantee, str] = {
    Guarantee.FOOD: N_("Food"),
    Guarantee.CLOTHING: N_("Clothing"),
    Guarantee.EDUCATION: N_("Education"),
    Guarantee.MEDICAL: N_("Medical care"),
    Guarantee.HOUSING: N_("Housing safety"),
    Guarantee.WATER: N_("Drinking water safety"),
}


def problem_wording(key: str) -> str:
    """The problem with guarantee `key`, in the reader's language."""
    return gettext(PROBLEM_WORDINGS[Guarantee(key)])


def problem_list(keys: Iterable[str]) -> str:
    """Several problems, joined as the reader's language does (、 or ", ")."""
    return join_list(problem_wording(key) for key in keys)


def official_problem_list(keys: Iterable[str]) -> str:
    """The problems in Chinese whoever reads: the six forms are filed upward as they are."""
    with use_language("zh"):
        return problem_list(keys)


def item_name(key: Guarantee) -> str:
    return gettext(ITEM_NAMES[key])
