"""The domain's words: roles, household categories, contact channels, the six guarantees.

Plain Python, no database and no Telegram. Each enum carries the label users read as a
gettext msgid (translated where it is shown) and, where the roster uses it, the Chinese term.
"""

from __future__ import annotations

from enum import StrEnum

from bot.i18n import N_, gettext


class LabelledEnum(StrEnum):
    """A StrEnum whose members know their human label."""

    @property
    def label(self) -> str:
        return gettext(_LABELS[self])


class Role(LabelledEnum):
    CONTACT = "contact"  # 帮扶联系人
    VILLAGE_ADMIN = "village_admin"  # 村两委 / 驻村工作队
    TOWN_OFFICE = "town_office"  # 镇扶贫办: its own town
    COUNTY_OFFICE = "county_office"  # 县乡村振兴局: the whole county, records 县级审定


class Category(LabelledEnum):
    MARGINAL = "marginal"  # 边缘户
    LIFTED_MONITORED = "lifted_monitored"  # 脱贫监测户
    LIFTED_POLICY = "lifted_policy"  # 享受政策脱贫户
    LIFTED_NO_POLICY = "lifted_no_policy"  # 不享受政策脱贫户


# The roster spells categories in Chinese; both the notice's long and short forms are accepted.
CATEGORY_BY_ROSTER_NAME: dict[str, Category] = {
    "边缘户": Category.MARGINAL,
    "边缘人口": Category.MARGINAL,
    "脱贫监测户": Category.LIFTED_MONITORED,
    "享受政策脱贫户": Category.LIFTED_POLICY,
    "享受政策的脱贫户": Category.LIFTED_POLICY,
    "不享受政策脱贫户": Category.LIFTED_NO_POLICY,
    "不享受政策的脱贫户": Category.LIFTED_NO_POLICY,
}
ROSTER_NAME_BY_CATEGORY: dict[Category, str] = {
    Category.MARGINAL: "边缘户",
    Category.LIFTED_MONITORED: "脱贫监测户",
    Category.LIFTED_POLICY: "享受政策脱贫户",
    Category.LIFTED_NO_POLICY: "不享受政策脱贫户",
}


class HouseholdStatus(LabelledEnum):
    MONITORED = "monitored"
    RISK_REMOVED = "risk_removed"  # 销号
    ADJUSTED_OUT = "adjusted_out"  # 动态调整掉


class ContactChannel(LabelledEnum):
    HOME_VISIT = "home_visit"  # 入户走访
    PHONE = "phone"  # 电话
    SMS = "sms"  # 短信
    WECHAT = "wechat"  # 微信
    VIDEO = "video"  # 视频


class Guarantee(LabelledEnum):
    """两不愁三保障一安全: checked at every contact."""

    FOOD = "food"  # 不愁吃
    CLOTHING = "clothing"  # 不愁穿
    EDUCATION = "education"  # 义务教育有保障
    MEDICAL = "medical"  # 基本医疗有保障
    HOUSING = "housing"  # 住房安全有保障
    WATER = "water"  # 饮水安全有保障


class ContactEvent(LabelledEnum):
    ILLNESS = "illness"
    DISASTER = "disaster"
    ACCIDENT = "accident"
    JOB_LOSS = "job_loss"
    OTHER = "other"


class ContactStatus(LabelledEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


class FlagSource(LabelledEnum):
    CONTACT_PERSON = "contact_person"  # reported explicitly
    GUARANTEE = "guarantee"  # a problem found with one of the six guarantees
    RULE = "rule"
    PLATFORM = "platform"  # the provincial platform's red list


class FlagStatus(LabelledEnum):
    RAISED = "raised"
    ACKNOWLEDGED = "acknowledged"
    REMOVAL_REQUESTED = "removal_requested"
    CLOSED = "closed"  # 销号
    # Retracted: raised by a contact that its author corrected or withdrew (a mis-tap), or
    # withdrawn by the town office when asked. Kept on record, never counted.
    WITHDRAWN = "withdrawn"


OPEN_FLAG_STATUSES = (FlagStatus.RAISED, FlagStatus.ACKNOWLEDGED, FlagStatus.REMOVAL_REQUESTED)


_LABELS: dict[StrEnum, str] = {
    Role.CONTACT: N_("Contact person"),
    Role.VILLAGE_ADMIN: N_("Village admin"),
    Role.TOWN_OFFICE: N_("Town office"),
    Role.COUNTY_OFFICE: N_("County office"),
    Category.MARGINAL: N_("Marginal household"),
    Category.LIFTED_MONITORED: N_("Lifted, monitored"),
    Category.LIFTED_POLICY: N_("Lifted, enjoying policies"),
    Category.LIFTED_NO_POLICY: N_("Lifted, no policies"),
    HouseholdStatus.MONITORED: N_("Monitored"),
    HouseholdStatus.RISK_REMOVED: N_("Risk removed"),
    HouseholdStatus.ADJUSTED_OUT: N_("Adjusted out"),
    ContactChannel.HOME_VISIT: N_("Home visit"),
    ContactChannel.PHONE: N_("Phone"),
    ContactChannel.SMS: N_("SMS"),
    ContactChannel.WECHAT: N_("WeChat"),
    ContactChannel.VIDEO: N_("Video"),
    Guarantee.FOOD: N_("Enough food"),
    Guarantee.CLOTHING: N_("Enough clothing"),
    Guarantee.EDUCATION: N_("Compulsory education"),
    Guarantee.MEDICAL: N_("Basic medical care"),
    Guarantee.HOUSING: N_("Safe housing"),
    Guarantee.WATER: N_("Safe drinking water"),
    ContactEvent.ILLNESS: N_("Illness"),
    ContactEvent.DISASTER: N_("Disaster"),
    ContactEvent.ACCIDENT: N_("Accident"),
    ContactEvent.JOB_LOSS: N_("Job loss"),
    ContactEvent.OTHER: N_("Other event"),
    ContactStatus.ACTIVE: N_("Active"),
    ContactStatus.WITHDRAWN: N_("Withdrawn"),
    FlagSource.CONTACT_PERSON: N_("Reported by contact person"),
    FlagSource.GUARANTEE: N_("Guarantee problem"),
    FlagSource.RULE: N_("Rule"),
    FlagSource.PLATFORM: N_("Provincial platform"),
    FlagStatus.RAISED: N_("Raised"),
    FlagStatus.ACKNOWLEDGED: N_("Acknowledged"),
    FlagStatus.REMOVAL_REQUESTED: N_("Removal requested"),
    FlagStatus.CLOSED: N_("Closed"),
    FlagStatus.WITHDRAWN: N_("Withdrawn (retracted)"),
}
