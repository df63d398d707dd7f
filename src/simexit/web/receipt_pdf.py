"""The receipt as a PDF, drawn with fpdf2 in a font that has Latin, Cyrillic and CJK glyphs.

Noto Sans CJK (Debian's `fonts-noto-cjk`, which `.ci/run` installs) covers all four languages in
one face; the Simplified Chinese member of the collection is used. Drawing takes about a second
(the font is parsed and subset): call `render_pdf` through `run_blocking`, never on the loop.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from simexit.web.receipt import Receipt

# (file, member of the collection): the first that exists is used.
FONT_CANDIDATES: tuple[tuple[Path, int], ...] = (
    (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 2),  # SC
    (Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"), 2),
    (Path("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc"), 2),
)
FAMILY = "receipt"


def find_font() -> tuple[Path, int] | None:
    return next(((path, index) for path, index in FONT_CANDIDATES if path.is_file()), None)


class NoFont(RuntimeError):
    """No font with CJK and Cyrillic glyphs is installed here."""


def render_pdf(receipt: Receipt, *, font: tuple[Path, int] | None = None) -> bytes:
    found = font or find_font()
    if found is None:
        raise NoFont("install fonts-noto-cjk for receipts")
    path, member = found
    pdf = FPDF(format="A4")
    pdf.set_title(receipt.title)
    pdf.set_creator("simexit")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font(FAMILY, fname=str(path), collection_font_number=member)
    pdf.add_page()
    width = pdf.epw

    def line(text: str, *, size: float = 10, height: float = 6) -> None:
        pdf.set_font(FAMILY, size=size)
        pdf.multi_cell(width, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def pairs(rows: list[tuple[str, str]]) -> None:
        pdf.set_font(FAMILY, size=10)
        for key, value in rows:
            pdf.multi_cell(
                width * 0.38, 6, key, new_x=XPos.RIGHT, new_y=YPos.TOP, max_line_height=6
            )
            pdf.multi_cell(width * 0.62, 6, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    line(receipt.title, size=16, height=9)
    pdf.ln(2)
    pairs(receipt.rows)
    pdf.ln(3)
    line(receipt.consent_heading, size=12, height=8)
    line(receipt.consent)
    if receipt.consented:
        line(receipt.consented)
    if receipt.consequences:
        pdf.ln(3)
        pairs(receipt.consequences)
    if receipt.checklist:
        pdf.ln(3)
        for item in receipt.checklist:
            line(f"• {item}")
    pdf.ln(4)
    line(receipt.footer, size=8, height=5)
    return bytes(pdf.output())
