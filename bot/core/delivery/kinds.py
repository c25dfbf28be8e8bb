"""The kinds of message the service starts (待发消息的种类): one name per kind, stored on
each outbox row. The Telegram side renders each kind (`bot/messages/renderers.py` keeps the
table); a web page or another channel would add its own table over the same kinds."""

from __future__ import annotations

from enum import StrEnum


class MessageKind(StrEnum):
    CONTACT_DIGEST = "contact_digest"  # a contact person: their households still to contact
    VILLAGE_LIST = "village_list"  # village admins: the village's uncontacted households
    TOWN_LIST = "town_list"  # the town office: the town's uncontacted households
    PERSON_UNREACHABLE = "person_unreachable"  # the town office: reassign, the bot cannot reach
    PERSON_INACTIVE = "person_inactive"  # the town office: reassign, no contact for weeks
    FLAG_ALERT = "flag_alert"  # the town office: a red flag (红色预警), and its reminders
    VILLAGE_FLAG = "village_flag"  # village admins: a household of the village was red-flagged
    FLAG_REMOVAL_REQUEST = "flag_removal_request"  # the town office: a village asks 销号
    FLAG_DECISION = "flag_decision"  # village admins and contact persons: a removal decided
    MONTHLY_SUMMARY = "monthly_summary"  # a town office: last month's coverage summary
    COUNTY_SUMMARY = "county_summary"  # the county office: last month's towns side by side
    COUNTY_ESCALATION = "county_escalation"  # the county office: a town's flag unseen, or low
    FLAG_RETRACTED = "flag_retracted"  # the town office: a flag taken back with its contact
    FLAG_RETRACTION_QUESTION = "flag_retraction_question"  # the town office: keep or withdraw?
