"""Print operations → ESC/POS bytes → the picture of the paper, and the stream tokenizer."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as s
from PIL import Image

from hardware.printer.driver import build_job, printable, qr_image, sample_ticket
from hardware.printer.escpos_stream import Command, TextRun, Tokenizer, tokenize
from hardware.printer.layout import PAPER_58, PAPER_80, Cut, Qr, Text, layout_ticket
from hardware.printer.render import render

URL = "https://antrean.example.go.id/t/7KQ2-M9XD"


def test_job_starts_with_init_and_code_page_and_ends_with_cut() -> None:
    job = build_job([Text("Halo")], PAPER_58)
    assert job.startswith(b"\x1b@\x1bt\x02")  # ESC @, ESC t 2 (PC850)
    assert b"Halo\n" in job
    job = build_job([Cut()], PAPER_58)
    assert job.endswith(b"\x1dV\x00")  # GS V 0: full cut


def test_big_text_uses_gs_exclamation() -> None:
    job = build_job([Text("A-012", align="center", bold=True, width=6, height=6)], PAPER_80)
    assert b"\x1ba\x01" in job and b"\x1bE\x01" in job
    assert b"\x1d!\x55A-012\n" in job  # (6-1) << 4 | (6-1)


def test_native_qr_carries_the_url() -> None:
    job = build_job([Qr(URL, module_dots=6)], PAPER_80)
    store = b"\x1d(k" + (len(URL) + 3).to_bytes(2, "little") + b"1P0" + URL.encode()
    assert store in job
    assert b"\x1d(k\x03\x001Q0" in job  # print the stored symbol


def test_image_qr_fallback_is_a_centred_raster() -> None:
    job = build_job([Qr(URL, module_dots=6)], PAPER_58, native_qr=False)
    assert b"\x1d(k" not in job
    paper = render(job, PAPER_58.dots)
    assert paper.qr_codes == [] and paper.skipped == []
    page = paper.image(margin=0)
    expected = qr_image(URL, 6)
    # the QR modules are black in the middle of the paper, with white on both sides
    dark_columns = [x for x in range(page.width) if any(
        page.getpixel((x, y)) == 0 for y in range(page.height))]  # fmt: skip
    assert dark_columns[-1] - dark_columns[0] + 1 == expected.width
    assert abs(dark_columns[0] - (PAPER_58.dots - expected.width) // 2) <= 1


def test_indonesian_and_latin_text_in_the_code_page() -> None:
    assert printable("“Kartu” – Pemohon…") == '"Kartu" - Pemohon...'
    assert printable("René Ñoño ±") == "René Ñoño ±"
    assert printable("Łódź 漢") == "?ódz ?"  # ź simplified, Ł and 漢 not in the code page
    job = build_job([Text("Café René")], PAPER_80)
    assert "Café René\n".encode("cp850") in job
    assert render(job, PAPER_80.dots).text_lines == ["Café René"]


def test_render_reads_back_the_whole_ticket() -> None:
    for paper in (PAPER_58, PAPER_80):
        job = build_job(layout_ticket(sample_ticket(), paper), paper)
        result = render(job, paper.dots)
        assert result.skipped == []
        assert result.cuts == 1
        assert result.qr_codes == [URL]
        assert "A-012" in result.text_lines
        assert "Antrean di depan Anda: 4" in result.text_lines
        image = result.image(margin=0)
        assert image.width == paper.dots
        assert image.height > 600


def test_render_sizes_and_alignment_on_paper() -> None:
    job = build_job([Text("X", align="right", width=3, height=2)], PAPER_58)
    page = render(job, PAPER_58.dots).image(margin=0)
    box = Image.eval(page, lambda v: 255 - v).getbbox()
    assert box is not None
    left, top, right, bottom = box
    assert right > PAPER_58.dots - 12  # right-aligned
    assert PAPER_58.dots - 36 <= left  # 3 x 12 dots wide cell
    assert bottom - top > 24  # taller than one normal line


def test_tokenizer_knows_command_lengths() -> None:
    data = b"\x1b@\x1b!\x30AB\n\x1dv0\x00\x01\x00\x02\x00\x10\x04\x10\x04\x01\x1dV\x00"
    tokens = tokenize(data)
    names = [t.name if isinstance(t, Command) else t.data for t in tokens]
    # the 0x10 0x04 inside the raster is image data, not a status request
    assert names == ["ESC @", "ESC !", b"AB", "LF", "GS v 0", "DLE EOT", "GS V"]


def test_tokenizer_keeps_incomplete_commands() -> None:
    tokens = tokenize(b"OK\x1d(k\x05\x001P0")
    assert tokens[0] == TextRun(b"OK")
    assert isinstance(tokens[1], Command) and tokens[1].name == "INCOMPLETE"


@given(s.lists(s.integers(1, 40), min_size=1, max_size=30))
def test_tokenizer_is_independent_of_how_bytes_arrive(cuts: list[int]) -> None:
    job = build_job(layout_ticket(sample_ticket(), PAPER_58), PAPER_58)
    whole = tokenize(job)
    tokenizer = Tokenizer()
    pieces: list = []
    i = 0
    for n in cuts * (len(job) // sum(cuts) + 1):
        if i >= len(job):
            break
        pieces += tokenizer.feed(job[i : i + n * 37])
        i += n * 37
    assert tokenizer.pending == b""

    # text runs may be split differently; commands and the joined text must match
    def normal(tokens: list) -> tuple[list, bytes]:
        return (
            [t for t in tokens if isinstance(t, Command)],
            b"".join(t.data for t in tokens if isinstance(t, TextRun)),
        )

    assert normal(pieces) == normal(whole)


@given(s.binary(max_size=300))
def test_render_never_crashes_on_garbage(data: bytes) -> None:
    render(data, PAPER_58.dots).image()


def _blank_feeds_at_large_size(job: bytes) -> list[int]:
    """The heights (multipliers) of the line feeds that feed an empty line at more than normal
    size: each leaves a blank band that tall on the paper."""
    height, line_empty, bands = 1, True, []
    for token in tokenize(job):
        if isinstance(token, TextRun):
            line_empty = False
        elif token.name == "GS !":
            height = (token.args[0] & 7) + 1
        elif token.name == "ESC @":
            height = 1
        elif token.name == "LF":
            if line_empty and height > 1:
                bands.append(height)
            line_empty = True
    return bands


def _inked_runs(page: Image.Image) -> list[tuple[int, int]]:
    """The paper's unbroken runs of rows with ink, top to bottom, as (first row, last row)."""
    runs: list[tuple[int, int]] = []
    for y in range(page.height):
        if any(page.getpixel((x, y)) < 128 for x in range(page.width)):
            if runs and runs[-1][1] == y - 1:
                runs[-1] = (runs[-1][0], y)
            else:
                runs.append((y, y))
    return runs


def test_no_blank_band_under_the_ticket_number() -> None:
    regular = replace(sample_ticket(), priority=False)  # the number is followed by a feed
    for paper in (PAPER_58, PAPER_80):
        job = build_job(layout_ticket(regular, paper), paper)
        assert _blank_feeds_at_large_size(job) == []
        runs = _inked_runs(render(job, paper.dots).image(margin=0))
        # The number is the first run taller than 100 dots (6 x 24); the issue time follows.
        at = next(i for i, (top, bottom) in enumerate(runs) if bottom - top > 100)
        gap_mm = (runs[at + 1][0] - runs[at][1]) / 8  # 8 dots a millimetre
        assert gap_mm < 8, f"{gap_mm:.1f} mm of blank paper under the number on {paper.width_mm} mm"
