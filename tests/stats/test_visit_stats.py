"""Visits in the statistics: the simulator plays citizens with 2–4 services on one number, and
the dashboard's table of combinations and visits per day reads back the mix it played."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

from conftest import FIXTURES, running_hall

from server.domain.simulation import Plan, simulate_day
from server.domain.visit_stats import VisitFact, by_day, combinations, overall
from server.simulate import hall_model, write_days

DAYS = [date(2025, 3, 10), date(2025, 3, 11)]


def test_the_formulas_count_days_and_rank_combinations() -> None:
    facts = [VisitFact(DAYS[0], "BPJS + KTP", "finished", 600),
             VisitFact(DAYS[0], "BPJS + KTP", "lapsed", None),
             VisitFact(DAYS[1], "KTP + NPWP", "finished", 1200),
             VisitFact(DAYS[1], "BPJS + KTP", "finished", 900)]
    assert [(t.key, t.visits, t.finished, t.lapsed) for t in by_day(facts)] == [
        ("2025-03-10", 2, 1, 1), ("2025-03-11", 2, 2, 0)]
    ranked = combinations(facts)
    assert [(t.key, t.visits, t.mean_visit_seconds) for t in ranked] == [
        ("BPJS + KTP", 3, 750.0), ("KTP + NPWP", 1, 1200.0)]
    assert overall(facts).mean_visit_seconds == 900.0


async def test_the_dashboard_shows_the_simulated_mix(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'antrean.db'}"
    async with running_hall(url, tmp_path / "data", FIXTURES / "visit_hall.toml") as hall:
        context = hall.context
        site = context.catalog.site("TEST")
        services, counters = await hall_model(context.db, context.catalog, site.id)
        played = [simulate_day(day, site.timezone, services, counters,
                               Plan(tickets_per_day=200, visit_share=0.4), 5) for day in DAYS]
        await write_days(context.db, site.id, played, 5)
        code = {s.id: s.code for s in context.catalog.site_services(site.id)}
        known = Counter(" + ".join(sorted(code[s] for s in t.plan))
                        for day in played for t in day.tickets if t.plan)
        per_day = [sum(1 for t in day.tickets if t.plan) for day in played]
        stops = Counter(len(t.plan) for day in played for t in day.tickets if t.plan)
        assert sum(known.values()) > 80 and set(stops) <= {2, 3} and 3 in stops
        # a share of the citizens, not all of them
        assert 0.3 < sum(per_day) / sum(len(day.tickets) for day in played) < 0.5

        login = await hall.client.post("/dashboard/login", data={
            "username": "manajer", "password": "rahasia-manajer"})
        assert login.status_code == 303
        page = await hall.client.get("/dashboard", params={
            "date_from": "10/03/2025", "date_to": "11/03/2025"})
        assert page.status_code == 200
        table = page.text[page.text.index('id="combinations"'):]
        table = table[:table.index("</table>")]
        shown = {combination: int(count) for combination, count in re.findall(
            r'data-combination="([^"]+)"><td>[^<]+</td><td class="num">(\d+)</td>', table)}
        assert shown == dict(known)
        order = re.findall(r'data-combination="([^"]+)"', table)
        assert [known[c] for c in order] == sorted(known.values(), reverse=True)
        days = page.text[page.text.index('id="visit-days"'):]
        days = days[:days.index("</table>")]
        assert [int(n) for n in re.findall(
            r'data-day="[^"]+"><td>[^<]+</td><td class="num">(\d+)</td>', days)] == per_day
        export = await hall.client.get("/dashboard/export/tickets.csv", params={
            "date_from": "2025-03-10", "date_to": "2025-03-11"})
        assert export.status_code == 200, export.text
        header, *lines = export.text.splitlines()
        assert header.split(",")[-1] == "visit_id"
        assert sum(1 for line in lines if line.split(",")[-1]) == sum(per_day)
