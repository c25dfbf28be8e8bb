"""The bulk invitations as a workbook: a list to paste into WeChat (one ready message per
person) and slips to print and cut, one per person with a new link.

Written in the reader's language (the CLI's DEFAULT_LANGUAGE, or the town office person's in
the chat); every text as text (spreadsheet.py), the file 0600 when saved: the links are keys.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.clock import local_minute
from bot.core.onboarding.bulk_invites import BulkInvites, InviteRow, InviteState
from bot.documents.spreadsheet import A4, SpreadsheetFile
from bot.i18n import gettext as _

SLIP_WIDTH = 70  # characters: a link (about 60) fits on one line of the slip
SLIP_ROWS = 5  # name, how to open, link, until when, the cut line


def invite_workbook(invites: BulkInvites, tz: ZoneInfo, path: Path | None = None) -> bytes:
    """The workbook's bytes; also saved (0600) at `path` when given."""
    file = SpreadsheetFile(path)
    _list_sheet(file, invites, tz)
    _slips_sheet(file, [row for row in invites.rows if row.link is not None], tz)
    return file.close()


def file_name(invites: BulkInvites, today: date) -> str:
    """邀请链接-大河村-2026-03-10.xlsx: in the reader's language, dated the day it is made
    (the links' expiry is inside, per person)."""
    village = f"-{invites.village}" if invites.village else ""
    return f"{_('invitation-links')}{village}-{today.isoformat()}.xlsx"


def wechat_message(row: InviteRow, tz: ZoneInfo) -> str:
    """What the clerk pastes into WeChat or an SMS for this person."""
    if row.link is None:
        return ""
    return _(
        "{name}, hello! Please open this link with Telegram on your phone and tap “Start” to "
        "join the monitoring assistant (帮扶). It works once, until {until}: {link}"
    ).format(name=row.name, until=local_minute(row.expires_at, tz), link=row.link)


def state_text(row: InviteRow, tz: ZoneInfo) -> str:
    until = local_minute(row.expires_at, tz)
    if row.state == InviteState.NEW:
        return _("New link")
    if row.state == InviteState.RENEWED:
        return _("New link (the previous one had expired or was replaced)")
    return _(
        "The link sent before still works until {until}; not replaced. If it was lost, "
        "renew the links."
    ).format(until=until)


def _list_sheet(file: SpreadsheetFile, invites: BulkInvites, tz: ZoneInfo) -> None:
    sheet = file.sheet(_("Invitations"))
    headers = [
        _("No."),
        _("Name"),
        _("Phone"),
        _("Village"),
        _("Role"),
        _("Invitation link"),
        _("Valid until"),
        _("Note"),
        _("Message to send (WeChat / SMS)"),
    ]
    sheet.header(1, headers)
    sheet.rows(
        2,
        (
            [
                number,
                row.name,
                row.phone,
                row.village,
                row.role.label,
                row.link,
                local_minute(row.expires_at, tz),
                state_text(row, tz),
                wechat_message(row, tz) or None,
            ]
            for number, row in enumerate(invites.rows, start=1)
        ),
    )
    sheet.fit_columns(maximum=60)
    sheet.print_ready(header_row=1)


def _slips_sheet(file: SpreadsheetFile, rows: list[InviteRow], tz: ZoneInfo) -> None:
    """One slip per person, stacked down one wide column, with a dashed line to cut along;
    printed portrait, one column wide, never split across pages."""
    sheet = file.sheet(_("Slips to print"))
    ws = sheet.ws
    name = file.look("slip_name", bold=True, font_size=14)
    plain = file.look("slip_text", font_size=11, text_wrap=True)
    link = file.look("slip_link", font_size=11, font_name="Consolas")
    cut = file.look("slip_cut", bottom=3)  # a dashed bottom border
    ws.set_column(0, 0, SLIP_WIDTH)
    breaks = []
    for index, row in enumerate(rows):
        top = index * SLIP_ROWS
        village = f"（{row.village}）" if row.village else ""
        title = f"{row.name}{village}"  # a name as typed: "=…" stays text (quote prefix)
        ws.write_string(top, 0, title, file.text_look(title, name))
        ws.write_string(
            top + 1,
            0,
            _("Open this link with Telegram on your phone, then tap “Start”:"),
            plain,
        )
        ws.write_string(top + 2, 0, row.link or "", link)
        ws.write_string(
            top + 3,
            0,
            _("Works once, until {until}. Questions: ask the town office.").format(
                until=local_minute(row.expires_at, tz)
            ),
            plain,
        )
        ws.write_blank(top + 4, 0, None, cut)
        if index and index % 10 == 0:
            breaks.append(top)  # ten slips a page
    ws.set_h_pagebreaks(breaks)
    ws.set_paper(A4)
    ws.set_portrait()
    ws.fit_to_pages(1, 0)
