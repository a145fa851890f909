"""The citizen's satisfaction survey (IKM, PermenPANRB 14/2017): once per finished ticket.

The citizen is not logged in; the ticket's tracking code (printed on the ticket, ten characters
from a 32-letter alphabet) is the proof that they held the ticket, as on the tracking page.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.protocol.stats import SurveyOut, SurveyRequest
from server.domain.stats import IKM_ELEMENTS, ikm_index
from server.domain.tickets import TicketStatus
from server.services.catalog import Catalog
from server.services.errors import Conflict, NotFound
from server.services.stats_rollup import invalidate
from server.services.uow import UnitOfWork
from server.store import models as m

log = logging.getLogger(__name__)


async def _ticket(session: AsyncSession, catalog: Catalog, tracking_code: str) -> m.Ticket:
    ticket = await session.scalar(
        select(m.Ticket).where(m.Ticket.tracking_code == tracking_code.upper()))
    if ticket is None or ticket.site_id not in catalog.sites:
        raise NotFound("Tiket dengan kode itu tidak ditemukan.",
                       "No ticket has that tracking code.", code="unknown_ticket")
    return ticket


def _out(catalog: Catalog, ticket: m.Ticket, survey: m.Survey) -> SurveyOut:
    service = catalog.services.get(ticket.service_id)
    answers = {e: int(survey.answers[e]) for e in IKM_ELEMENTS}
    return SurveyOut(ticket_number=ticket.number, service=service.code if service else "",
                     answers=answers, comment=survey.comment,
                     index=ikm_index({e: float(v) for e, v in answers.items()}),
                     created_at=survey.created_at)


async def find(session: AsyncSession, catalog: Catalog, tracking_code: str) -> SurveyOut | None:
    ticket = await _ticket(session, catalog, tracking_code)
    survey = await session.scalar(select(m.Survey).where(m.Survey.ticket_id == ticket.id))
    return None if survey is None else _out(catalog, ticket, survey)


async def submit(uow: UnitOfWork, tracking_code: str, body: SurveyRequest) -> SurveyOut:
    """Store the survey of a finished ticket. Sending the same answers again is harmless (the
    first survey is returned); different answers for a surveyed ticket are refused."""
    ticket = await _ticket(uow.session, uow.catalog, tracking_code)
    if ticket.status != TicketStatus.FINISHED:
        raise Conflict("Survei hanya dapat diisi setelah layanan selesai.",
                       "The survey can be answered only once the service is finished.",
                       code="not_finished", status=ticket.status)
    answers = {e: int(getattr(body, e)) for e in IKM_ELEMENTS}
    existing = await uow.session.scalar(
        select(m.Survey).where(m.Survey.ticket_id == ticket.id).with_for_update())
    if existing is not None:
        if existing.answers == answers and existing.comment == body.comment.strip():
            return _out(uow.catalog, ticket, existing)
        raise Conflict("Survei untuk tiket ini sudah diisi. Terima kasih!",
                       "This ticket's survey has already been answered.",
                       code="already_surveyed")
    survey = m.Survey(ticket_id=ticket.id, site_id=ticket.site_id, answers=answers,
                      comment=body.comment.strip(), created_at=uow.now)
    uow.session.add(survey)
    await uow.session.flush()
    await invalidate(uow.session, ticket.site_id, ticket.service_day)  # a closed day's roll-up
    uow.audit(ticket.site_id, "ticket.survey", ticket_id=ticket.id, counter_id=ticket.counter_id)
    log.info("survey of %s stored", ticket.number)
    return _out(uow.catalog, ticket, survey)
