"""The sample hall that `antrean serve --demo` runs, and the example in the configuration guide."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from common.announce import call_text, spell_ticket
from server.config.hall import HallConfig, load_hall, parse_hall, sample_hall_path
from server.domain.calendar import OpeningHours
from server.domain.numbering import format_number

ROOT = Path(__file__).resolve().parents[2]
JAKARTA = ZoneInfo("Asia/Jakarta")


@pytest.fixture(scope="module")
def sample() -> HallConfig:
    return load_hall(sample_hall_path())


def test_the_sample_hall_is_big_enough_to_show_a_real_mpp(sample: HallConfig) -> None:
    assert len(sample.agency) >= 12
    assert len(sample.service) >= 40
    assert len(sample.counter) >= 40


@pytest.mark.parametrize(
    "words",
    ["Kependudukan", "SKCK", "Samsat", "KPP Pratama", "BPJS Kesehatan", "BPJS Ketenagakerjaan",
     "Pertanahan", "Imigrasi", "Agama", "PTSP", "Bank", "Air Minum"],
)
def test_the_agencies_citizens_expect_are_there(sample: HallConfig, words: str) -> None:
    assert any(words in agency.name for agency in sample.agency), words


def test_the_site(sample: HallConfig) -> None:
    site = sample.site
    assert site.timezone == "Asia/Jakarta"
    assert site.always_open is False  # --demo opens it around the clock; the file does not
    assert site.public_base_url is None  # the server prints its own LAN address
    assert site.running_text.strip()
    assert site.dispatch.priority_policy == "interleave"
    assert site.dispatch.regular_per_priority == 2
    assert site.dispatch.max_consecutive_priority == 3


def _at(day: date, hhmm: str) -> datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=JAKARTA).astimezone(UTC)


def _not_a_holiday(sample: HallConfig, *days: date) -> None:
    assert not set(days) & set(sample.site.holidays)


def test_the_opening_hours_follow_the_working_week(sample: HallConfig) -> None:
    hours = OpeningHours.build(sample.site.timezone, sample.site.hours, sample.site.holidays)
    mon, fri, sat, sun = date(2026, 3, 2), date(2026, 3, 6), date(2026, 3, 7), date(2026, 3, 8)
    _not_a_holiday(sample, mon, fri, sat, sun)
    assert not hours.is_open(_at(mon, "07:30"))
    assert hours.is_open(_at(mon, "08:00"))
    assert hours.is_open(_at(mon, "14:30"))
    assert not hours.is_open(_at(mon, "15:00"))
    assert hours.is_open(_at(fri, "10:00"))
    assert not hours.is_open(_at(fri, "12:00"))  # Friday prayer
    assert hours.is_open(_at(fri, "13:30"))
    assert not hours.is_open(_at(sat, "13:00"))  # Saturday is closed or short
    assert not hours.is_open(_at(sun, "10:00"))


def test_every_service_is_open_some_time_each_working_day(sample: HallConfig) -> None:
    site = sample.site
    for service in sample.service:
        hours = OpeningHours.build(site.timezone, site.hours, site.holidays,
                                   service_hours=service.hours)
        for day in ("mon", "tue", "wed", "thu", "fri"):
            assert hours.weekly[day], f"{service.code} is never open on {day}"


def test_some_services_have_shorter_hours_and_quotas(sample: HallConfig) -> None:
    assert any(s.hours for s in sample.service)
    assert any(s.daily_quota for s in sample.service)
    passport = next(s for s in sample.service if s.agency == "IMIGRASI")
    assert passport.daily_quota is not None


def test_every_service_is_described_in_both_languages(sample: HallConfig) -> None:
    for service in sample.service:
        assert service.name_en, service.code
        assert service.requirements, service.code
        assert len(service.requirements) == len(service.requirements_en), service.code
        assert all(item.strip() for item in [*service.requirements, *service.requirements_en])


def test_every_fee_is_explained(sample: HallConfig) -> None:
    for service in sample.service:
        if service.fee > 0:
            assert service.fee_note, f"{service.code} charges Rp{service.fee} without saying why"
            assert "Rp" in service.fee_note


def test_the_fees_we_know_by_heart(sample: HallConfig) -> None:
    by_name = {s.name: s for s in sample.service}
    skck = [s for name, s in by_name.items() if "SKCK" in name]
    assert skck and all(s.fee == 30_000 for s in skck)  # PNBP Polri
    for service in sample.service:
        if service.agency == "DUKCAPIL":
            assert service.fee == 0 and not service.fee_note  # free by law


def test_prefixes_are_unique_short_and_speakable(sample: HallConfig) -> None:
    prefixes = [s.prefix for s in sample.service]
    assert len(set(prefixes)) == len(prefixes)
    for prefix in prefixes:
        assert re.fullmatch(r"[A-Z]{1,3}", prefix)
        assert "I" not in prefix and "O" not in prefix  # not to be read as 1 and 0
        number = format_number(prefix, 7)
        assert spell_ticket(number, "id").endswith("nol nol tujuh")


def test_counters_are_numbered_across_the_hall(sample: HallConfig) -> None:
    numbers = [c.number for c in sample.counter]
    assert numbers == list(range(1, len(numbers) + 1))
    for counter in sample.counter:
        assert counter.name == f"Loket {counter.number}"
        spoken, _ = call_text("A-001", counter.number)
        assert spoken.startswith("Nomor antrean A nol nol satu, silakan menuju loket ")


def test_every_counter_has_a_unique_bus_address(sample: HallConfig) -> None:
    addresses = [c.bus_address for c in sample.counter]
    assert None not in addresses
    assert len(set(addresses)) == len(addresses)
    assert all(1 <= a <= 247 for a in addresses)  # type: ignore[operator]


def test_every_service_has_a_counter_and_every_agency_an_officer(sample: HallConfig) -> None:
    served = {code for counter in sample.counter for code in counter.services}
    assert served == {s.code for s in sample.service}
    staffed = {o.agency for o in sample.officer if o.role == "officer"}
    assert staffed == {a.code for a in sample.agency}
    with_counters = {c.agency for c in sample.counter}
    assert with_counters == {a.code for a in sample.agency}


def test_agencies_have_a_colour_and_an_icon(sample: HallConfig) -> None:
    for agency in sample.agency:
        assert re.fullmatch(r"#[0-9A-Fa-f]{6}", agency.color)
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", agency.icon)
        assert agency.name_en


def test_zones_cover_every_agency_once(sample: HallConfig) -> None:
    placed = Counter(code for zone in sample.zone for code in zone.agencies)
    assert set(placed) == {a.code for a in sample.agency}
    assert all(times == 1 for times in placed.values())


def test_the_demo_devices(sample: HallConfig) -> None:
    kinds = Counter(d.kind for d in sample.device)
    assert kinds["kiosk"] == 3
    assert kinds["display"] == 4
    assert kinds["keypad"] >= 2
    displays = [d for d in sample.device if d.kind == "display"]
    assert any(d.zone is None for d in displays)  # one shows the whole hall
    assert any(d.zone is not None for d in displays)
    for device in sample.device:
        assert device.token is not None and len(device.token) >= 8
        assert (device.counter is not None) == (device.kind == "keypad")
    tokens = [d.token for d in sample.device]
    assert len(set(tokens)) == len(tokens)


def test_a_keypad_sits_at_a_counter_of_the_right_number(sample: HallConfig) -> None:
    counters = {c.number for c in sample.counter}
    assert all(d.counter in counters for d in sample.device if d.kind == "keypad")


def test_the_demo_accounts(sample: HallConfig) -> None:
    roles = Counter(o.role for o in sample.officer)
    assert roles["manager"] >= 1 and roles["admin"] >= 1
    for officer in sample.officer:
        # the file accepts 6, but the login and account services require 8
        assert officer.password is not None and len(officer.password) >= 8, officer.username
        assert (officer.agency is None) == (officer.role != "officer"), officer.username


def test_the_example_in_the_configuration_guide_is_valid() -> None:
    guide = (ROOT / "docs" / "hall-config.md").read_text(encoding="utf-8")
    example = guide.split("## A small complete example", 1)[1]
    toml = re.search(r"```toml\n(.*?)```", example, re.DOTALL)
    assert toml is not None
    hall = parse_hall(toml.group(1), "docs/hall-config.md")
    assert hall.site.code == "mpp-contoh"
    assert {s.code for s in hall.service} == {c for counter in hall.counter for c in counter.services}


def test_the_guide_documents_every_key() -> None:
    guide = (ROOT / "docs" / "hall-config.md").read_text(encoding="utf-8")
    from server.config import hall as schema

    models = [schema.SiteConfig, schema.DispatchSettings, schema.NotifyConfig, schema.AgencyConfig,
              schema.ServiceConfig, schema.CounterConfig, schema.ZoneConfig,
              schema.DeviceConfig, schema.OfficerConfig]
    for model in models:
        for key in model.model_fields:
            assert f"`{key}`" in guide, f"{model.__name__}.{key} is not in the guide"
