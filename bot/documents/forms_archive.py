"""The six forms of one village as single files, or of every village the reader may export
as one .zip: the same workbooks `export_forms` writes for the chat."""

from __future__ import annotations

import asyncio
import io
import tempfile
import zipfile
from pathlib import Path

from bot.core.policy import Actor
from bot.core.reports.form_layout import FORMS
from bot.documents.forms import export_forms, form_file_name
from bot.errors import NotFound
from bot.i18n import N_
from bot.storage.uow import App

NO_SUCH_FORM = N_("There is no such form: the six forms are numbered 1 to 6.")


async def one_form(app: App, actor: Actor, village: str, number: int) -> tuple[str, bytes]:
    """附件`number` of the village, as (file name, bytes); the village's scope is checked by
    `form_facts` (a village admin: their own village only)."""
    form = next((form for form in FORMS if form.number == number), None)
    if form is None:
        raise NotFound(NO_SUCH_FORM)
    with tempfile.TemporaryDirectory() as folder:
        await export_forms(app, actor, village, out_dir=Path(folder) / "forms")
        name = form_file_name(village, form)
        return name, (Path(folder) / "forms" / name).read_bytes()


async def forms_zip(app: App, actor: Actor) -> bytes:
    """Every village's six forms that the actor may export, in one .zip."""
    with tempfile.TemporaryDirectory() as folder:
        paths = await export_forms(app, actor, None, out_dir=Path(folder) / "forms")
        return await asyncio.to_thread(_zipped, paths)


def _zipped(paths: list[Path]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            archive.write(path, path.name)
    return buffer.getvalue()
