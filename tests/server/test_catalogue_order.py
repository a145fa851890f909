"""The hall as its file lists it: agencies and services in the file's order (not by code), and a
fee said in the same words on the kiosk and in the catalogue, in English too."""

from __future__ import annotations

import html
import tomllib
from pathlib import Path

from conftest import FakeClock, running_hall

from common.formats import fee
from common.protocol.models import ServiceOut
from kiosk.texts import fee_of
from server.config.hall import sample_hall_path


def file_order(text: str) -> tuple[list[str], list[str]]:
    raw = tomllib.loads(text)
    agencies = [a["code"] for a in raw["agency"]]
    services = sorted((s for s in raw["service"]), key=lambda s: agencies.index(s["agency"]))
    return agencies, [s["code"] for s in services]


def first_seen(codes: list[str]) -> list[str]:
    return list(dict.fromkeys(codes))


async def test_agencies_and_services_follow_the_hall_file(database_url: str, tmp_path: Path
                                                          ) -> None:
    text = sample_hall_path().read_text(encoding="utf-8")
    agencies, services = file_order(text)
    assert agencies != sorted(agencies)  # the sample hall is not in code order
    async with running_hall(database_url, tmp_path / "data", sample_hall_path(),
                            FakeClock()) as hall:
        listed = [ServiceOut.model_validate(s) for s in
                  (await hall.client.get("/api/v1/sites/mpp-sleman/services")).json()]
    assert first_seen([s.agency.code for s in listed]) == agencies
    assert listed[0].agency.code == "DUKCAPIL"
    assert [s.code for s in listed] == services

    # the hall moves Samsat to the top: the next start shows it first, history kept
    blocks = text.split("[[agency]]")
    samsat = next(i for i, b in enumerate(blocks) if 'code = "SAMSAT"' in b)
    moved = [blocks[0], blocks[samsat], *(b for i, b in enumerate(blocks[1:], 1) if i != samsat)]
    reordered = tmp_path / "hall.toml"
    reordered.write_text("[[agency]]".join(moved), encoding="utf-8")
    async with running_hall(database_url, tmp_path / "data", reordered, FakeClock()) as hall:
        listed = [ServiceOut.model_validate(s) for s in
                  (await hall.client.get("/api/v1/sites/mpp-sleman/services")).json()]
    assert first_seen([s.agency.code for s in listed]) == file_order(reordered.read_text())[0]
    assert listed[0].agency.code == "SAMSAT"


async def test_the_kiosk_and_the_catalogue_say_a_fee_alike(database_url: str, tmp_path: Path
                                                           ) -> None:
    async with running_hall(database_url, tmp_path / "data", sample_hall_path(),
                            FakeClock()) as hall:
        services = {s["code"]: ServiceOut.model_validate(s) for s in
                    (await hall.client.get("/api/v1/sites/mpp-sleman/services")).json()}
        pages = {lang: (await hall.client.get(f"/layanan/mpp-sleman?lang={lang}")).text
                 for lang in ("id", "en")}
    tax = services["BAYAR-PAJAK"]  # fee 0 with a note: a bill, not a free service
    assert tax.fee == 0 and tax.fee_note and tax.fee_note_en
    assert str(fee_of(tax, "id")) == f"Sesuai ketentuan ({tax.fee_note})"
    assert str(fee_of(tax, "en")) == f"As regulated ({tax.fee_note_en})"
    for code in ("BAYAR-PAJAK", "SKCK-BARU", "KTP", "PASPOR"):
        service = services[code]
        for lang, page in pages.items():
            said = fee_of(service, lang)
            card = page.split(f'data-service="{code}"')[1].split("</article>")[0]
            shown = html.unescape(card.split('data-field="fee">')[1].split("</dd>")[0])
            assert shown.startswith(said.headline), (code, lang, shown)
            assert said.note in shown
            if lang == "en" and service.fee_note_en:
                assert service.fee_note not in shown  # no Indonesian note on the English page
    assert "Gratis (" not in pages["id"].split('data-service="BAYAR-PAJAK"')[1].split("</article>")[0]


def test_fee_words() -> None:
    assert str(fee(0, "", "", "id")) == "Gratis" and str(fee(0, "", "", "en")) == "Free"
    assert str(fee(30000, "", "", "id")) == "Rp30.000"
    assert str(fee(30000, "PNBP.", "", "en")) == "Rp30.000 (PNBP.)"  # no English: the note
    assert fee(0, "Sesuai tagihan.", "As billed.", "en").headline == "As regulated"
