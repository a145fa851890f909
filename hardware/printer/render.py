"""ESC/POS bytes → a picture of the paper, so anyone can see a ticket without a printer.

Interprets the subset of ESC/POS that tickets use: text in a code page, ``ESC !`` and ``GS !``
sizes, bold, underline, reverse, alignment, feeds, native QR codes (``GS ( k``, drawn again from
the data they carry), raster images (``GS v 0``) and cuts. Other commands are skipped and listed
in ``PaperRenderer.skipped``. One dot of the printer is one pixel of the picture.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from hardware.printer.escpos_stream import Command, TextRun, tokenize
from hardware.printer.layout import CHAR_HEIGHT_DOTS, CHAR_WIDTH_DOTS

LINE_GAP_DOTS = 6  # default line spacing is 30 dots for 24-dot characters
_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
)
_CODEPAGES = {0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 16: "cp1252",
              17: "cp866", 18: "cp852", 19: "cp858"}  # fmt: skip
_QR_EC = {48: qrcode.constants.ERROR_CORRECT_L, 49: qrcode.constants.ERROR_CORRECT_M,
          50: qrcode.constants.ERROR_CORRECT_Q, 51: qrcode.constants.ERROR_CORRECT_H}  # fmt: skip


@dataclass(frozen=True)
class _Style:
    align: int = 0  # 0 left, 1 center, 2 right
    bold: bool = False
    underline: bool = False
    invert: bool = False
    width: int = 1
    height: int = 1


@lru_cache(maxsize=4)
def _font(bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name = "DejaVuSansMono-Bold.ttf" if bold else "DejaVuSansMono.ttf"
    for folder in _FONT_DIRS:
        if (folder / name).exists():
            return ImageFont.truetype(str(folder / name), 20)
    return ImageFont.load_default(size=20)


@lru_cache(maxsize=4096)
def _glyph(char: str, style: _Style) -> Image.Image:
    """One character cell, 12 x 24 dots times the size multipliers, black on white."""
    cell = Image.new("L", (CHAR_WIDTH_DOTS, CHAR_HEIGHT_DOTS), 0)
    draw = ImageDraw.Draw(cell)
    draw.text((CHAR_WIDTH_DOTS / 2, 19), char, fill=255, font=_font(style.bold), anchor="ms")
    if style.underline:
        draw.line((0, CHAR_HEIGHT_DOTS - 1, CHAR_WIDTH_DOTS, CHAR_HEIGHT_DOTS - 1), fill=255)
    ink = cell.point(lambda v: 255 if v > 100 else 0).convert("1")
    size = (CHAR_WIDTH_DOTS * style.width, CHAR_HEIGHT_DOTS * style.height)
    scaled = ink.resize(size, Image.Resampling.NEAREST).convert("L")
    return scaled if style.invert else scaled.point(lambda v: 255 - v)


class PaperRenderer:
    """Feed it ESC/POS bytes; ``image()`` is the paper so far."""

    def __init__(self, paper_dots: int = 576) -> None:
        self.paper_dots = paper_dots
        self.skipped: list[str] = []
        self.cuts = 0
        self.qr_codes: list[str] = []
        self.text_lines: list[str] = []
        self._strips: list[Image.Image] = []
        self._line: list[tuple[str, _Style]] = []
        self._style = _Style()
        self._codepage = "cp437"
        self._qr_size = 3
        self._qr_ec = qrcode.constants.ERROR_CORRECT_L
        self._qr_data = b""

    # -- output ---------------------------------------------------------------------------
    def image(self, margin: int = 16) -> Image.Image:
        self._flush_line(force=False)
        height = sum(s.height for s in self._strips) or 1
        paper = Image.new("L", (self.paper_dots, height), 255)
        y = 0
        for strip in self._strips:
            paper.paste(strip, (0, y))
            y += strip.height
        framed = Image.new("L", (self.paper_dots + 2 * margin, height + 2 * margin), 150)
        framed.paste(paper, (margin, margin))
        return framed

    # -- input ----------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        for token in tokenize(data):
            if isinstance(token, TextRun):
                self._text(token.data)
            else:
                self._command(token)

    def _text(self, data: bytes) -> None:
        for char in data.decode(self._codepage, errors="replace"):
            self._line.append((char, self._style))
            if self._line_width() > self.paper_dots:  # the printer wraps, so do we
                last = self._line.pop()
                self._flush_line(force=True)
                self._line.append(last)

    def _command(self, cmd: Command) -> None:
        name, args = cmd.name, cmd.args
        s = self._style
        if name == "LF":
            self._flush_line(force=True)
        elif name == "ESC @":
            self._style, self._codepage = _Style(), "cp437"
        elif name == "ESC !":
            n = args[0]
            self._style = replace(s, bold=bool(n & 0x08), underline=bool(n & 0x80),
                                  height=2 if n & 0x10 else 1, width=2 if n & 0x20 else 1)  # fmt: skip
        elif name == "GS !":
            self._style = replace(s, width=(args[0] >> 4 & 7) + 1, height=(args[0] & 7) + 1)
        elif name == "ESC E":
            self._style = replace(s, bold=bool(args[0] & 1))
        elif name == "ESC -":
            self._style = replace(s, underline=args[0] in (1, 2, 49, 50))
        elif name == "GS B":
            self._style = replace(s, invert=bool(args[0] & 1))
        elif name == "ESC a":
            self._style = replace(s, align=args[0] % 48 if args[0] % 48 < 3 else 0)
        elif name == "ESC t":
            self._codepage = _CODEPAGES.get(args[0], "cp437")
        elif name == "ESC d":
            self._flush_line(force=True)
            for _ in range(max(0, args[0] - 1)):
                self._flush_line(force=True)
        elif name == "ESC J":
            self._flush_line(force=False)
            self._strips.append(Image.new("L", (self.paper_dots, args[0]), 255))
        elif name == "GS ( k":
            self._qr(args)
        elif name == "GS v 0":
            self._raster(args)
        elif name in ("GS V", "ESC i", "ESC m"):
            self._cut()
        else:
            self.skipped.append(name)

    # -- drawing --------------------------------------------------------------------------
    def _line_width(self) -> int:
        return sum(CHAR_WIDTH_DOTS * style.width for _, style in self._line)

    def _flush_line(self, *, force: bool) -> None:
        if not self._line:
            if force:
                h = CHAR_HEIGHT_DOTS * self._style.height + LINE_GAP_DOTS
                self._strips.append(Image.new("L", (self.paper_dots, h), 255))
            return
        height = max(CHAR_HEIGHT_DOTS * st.height for _, st in self._line)
        strip = Image.new("L", (self.paper_dots, height + LINE_GAP_DOTS), 255)
        x = self._offset(self._line_width(), self._line[0][1].align)
        for char, style in self._line:
            glyph = _glyph(char, style)
            strip.paste(glyph, (x, height - glyph.height))
            x += glyph.width
        self._strips.append(strip)
        self.text_lines.append("".join(c for c, _ in self._line))
        self._line = []

    def _offset(self, width: int, align: int) -> int:
        free = max(0, self.paper_dots - width)
        return {0: 0, 1: free // 2, 2: free}.get(align, 0)

    def _place(self, picture: Image.Image) -> None:
        self._flush_line(force=False)
        strip = Image.new("L", (self.paper_dots, picture.height), 255)
        strip.paste(picture.convert("L"), (self._offset(picture.width, self._style.align), 0))
        self._strips.append(strip)

    def _qr(self, args: bytes) -> None:
        # pL pH cn fn [m] data
        if len(args) < 4 or args[2] != 49:  # cn '1' is QR; other 2D codes are skipped
            self.skipped.append("GS ( k")
            return
        fn, body = args[3], args[4:]
        if fn == 67 and body:
            self._qr_size = max(1, min(16, body[0]))
        elif fn == 69 and body:
            self._qr_ec = _QR_EC.get(body[0], self._qr_ec)
        elif fn == 80:
            self._qr_data = body[1:]  # after m = '0'
        elif fn == 81 and self._qr_data:
            text = self._qr_data.decode("utf-8", errors="replace")
            code = qrcode.QRCode(error_correction=self._qr_ec, box_size=self._qr_size, border=0)
            code.add_data(text)
            code.make(fit=True)
            self.qr_codes.append(text)
            self._place(code.make_image().get_image())

    def _raster(self, args: bytes) -> None:
        mode = args[0]
        width_bytes = args[1] | args[2] << 8
        height = args[3] | args[4] << 8
        data = args[5 : 5 + width_bytes * height]
        if width_bytes == 0 or height == 0:
            return
        picture = Image.frombytes("1", (width_bytes * 8, height), bytes(b ^ 0xFF for b in data))
        if mode in (1, 3, 49, 51):
            picture = picture.resize((picture.width * 2, picture.height))
        if mode in (2, 3, 50, 51):
            picture = picture.resize((picture.width, picture.height * 2))
        self._place(picture)

    def _cut(self) -> None:
        self._flush_line(force=False)
        self.cuts += 1
        strip = Image.new("L", (self.paper_dots, 24), 255)
        draw = ImageDraw.Draw(strip)
        for x in range(0, self.paper_dots, 16):
            draw.line((x, 12, x + 8, 12), fill=110, width=2)
        self._strips.append(strip)


def render(data: bytes, paper_dots: int = 576) -> PaperRenderer:
    """Interpret ``data`` and return the renderer (``.image()``, ``.text_lines``, ``.qr_codes``)."""
    renderer = PaperRenderer(paper_dots)
    renderer.feed(data)
    return renderer


def render_png(data: bytes, out: Path, paper_dots: int = 576) -> Path:
    render(data, paper_dots).image().save(out)
    return out


__all__ = ["PaperRenderer", "render", "render_png"]
