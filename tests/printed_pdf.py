"""Prints spreadsheets to PDF as an office would, with LibreOffice headless, and reads the pages
back: their size, text and the font sizes used.

LibreOffice finds Chinese glyphs through fontconfig. The conversion is given a fontconfig file
that adds the Noto Sans CJK bangfu installs for its charts (noto-cjk-sans-otc) to the system's
fonts, so the PDF shows Chinese on any machine, with or without a Chinese font package.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import noto_cjk_sans_otc
import pdfplumber
import pytest

# Set by .ci/run when apt-get could not install libreoffice-calc: the reason to skip.
NO_SOFFICE_REASON = "BANGFU_NO_SOFFICE"
A4_LANDSCAPE_POINTS = (841.89, 595.28)  # 297 × 210 mm
FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>{fonts}</dir>
  <cachedir>{cache}</cachedir>
</fontconfig>
"""


def soffice() -> str:
    """The LibreOffice program. Without one: skipped where it cannot be installed (.ci/run
    says why), a failure where CI should have installed it, skipped on a developer's machine
    with how to install it."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    if os.environ.get(NO_SOFFICE_REASON):
        pytest.skip(f"LibreOffice could not be installed: {os.environ[NO_SOFFICE_REASON]}")
    if os.environ.get("CI"):
        pytest.fail("soffice is missing although .ci/run installs libreoffice-calc")
    pytest.skip("soffice is not installed (apt-get install libreoffice-calc) to print the forms")


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    text: str  # as extracted, lines joined with "\n"
    smallest_font: float  # points, as printed (after the sheet's print scale)


def print_to_pdf(files: list[Path], work: Path) -> dict[str, Path]:
    """Each file converted to PDF in `work`, by the file's stem."""
    program = soffice()
    cache = work / "fontconfig-cache"
    conf = work / "fonts.conf"
    conf.write_text(
        FONTS_CONF.format(fonts=noto_cjk_sans_otc.FONT_PATH.parent, cache=cache),
        encoding="utf-8",
    )
    out = work / "pdf"
    # Its own profile: LibreOffice refuses to start twice on one profile, and other test runs
    # may be converting at the same time.
    profile = (work / "lo-profile").as_uri()
    env = {**os.environ, "FONTCONFIG_FILE": str(conf), "HOME": str(work)}
    command = [program, f"-env:UserInstallation={profile}", "--headless", "--norestore"]
    command += ["--convert-to", "pdf", "--outdir", str(out), *map(str, files)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    pdfs = {path.stem: out / f"{path.stem}.pdf" for path in files}
    missing = [name for name, pdf in pdfs.items() if not pdf.exists()]
    assert not missing, f"LibreOffice wrote no PDF for {missing}: {done.stdout}{done.stderr}"
    return pdfs


def is_a4_landscape(page: Page) -> bool:
    """Within a point: programs round the millimetres their own way."""
    width, height = A4_LANDSCAPE_POINTS
    return abs(page.width - width) < 1 and abs(page.height - height) < 1


def pages(pdf: Path) -> list[Page]:
    with pdfplumber.open(pdf) as document:
        return [
            Page(
                width=float(page.width),
                height=float(page.height),
                text=page.extract_text() or "",
                smallest_font=min((char["size"] for char in page.chars), default=0.0),
            )
            for page in document.pages
        ]
