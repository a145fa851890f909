"""The hall's voice on the server: every announcement rendered once, kept, served to every display.

A sentence is rendered by the site's voice pack (``[site.voice] pack``) when the pack can say
it, else by espeak-ng, into ``DATA_DIR/audio`` (the same clip caches ``hardware.audio`` uses),
and served from there to every display that asks: two hundred displays asking for the same call
cost one rendering. Renderings run on worker threads (at most ``RENDERS`` at once) so the event
loop keeps serving; requests for a sentence being rendered wait for that rendering rather than
start their own. Each call's Indonesian sentence is rendered as soon as the call is committed,
before any display asks.

Only the words of announcements are rendered (``common.announce`` lists them), so the endpoint
cannot be made to synthesise arbitrary text.

The planner (``plan``) runs ``common.announce_queue`` over the calls a display says are waiting,
with the clips' real lengths where they are rendered, and answers with the next utterance.
"""

from __future__ import annotations

import asyncio
import io
import logging
import wave
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlencode

from common.announce import LETTERS, PhraseBook, english_phrases, phrases
from common.announce_queue import AnnouncementQueue, Call, spoken_seconds
from common.protocol.announcements import PlanOut, PlanRequest, Sentence, UtteranceOut, WaitingCall
from common.protocol.events import Event, TicketCalled, TicketRecalled
from hardware.audio.chime import chime_wav
from hardware.audio.loudness import wav_seconds
from hardware.audio.speech import ClipCache, Clips, EspeakVoice
from hardware.audio.voice_pack import PackClips, VoicePack
from server.services.catalog import Catalog, SiteInfo
from server.services.errors import Invalid, NotFound

log = logging.getLogger(__name__)

RENDERS = 2  # renderings at once: espeak-ng and the levelling take a core each
LONGEST_TEXT = 600
KEPT_IN_MEMORY = 64  # the latest sentences, served without touching the disk (about 15 MB)
Outcome = Literal["hit", "joined", "rendered"]


@dataclass
class AudioCounts:
    """What the audio endpoint served, for the log and the benchmark."""

    hits: int = 0  # already rendered
    joined: int = 0  # waited for a rendering another request had started
    rendered: int = 0
    failed: int = 0

    @property
    def hit_rate(self) -> float:
        served = self.hits + self.joined + self.rendered
        return (self.hits + self.joined) / served if served else 0.0


@dataclass
class _SiteVoice:
    clips: dict[str, Clips]
    books: dict[str, PhraseBook]
    identity: dict[str, str]


@dataclass
class Voices:
    directory: Path
    catalog: Catalog = field(default_factory=Catalog)
    counts: AudioCounts = field(default_factory=AudioCounts)
    _sites: dict[int, _SiteVoice] = field(default_factory=dict)
    _espeak: dict[str, EspeakVoice | None] = field(default_factory=dict)
    _rendering: dict[Path, asyncio.Future[Path]] = field(default_factory=dict)
    _recent: OrderedDict[tuple[int, str, str], tuple[bytes, float]] = field(
        default_factory=OrderedDict)
    _renders: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(RENDERS))
    _tasks: set[asyncio.Task[object]] = field(default_factory=set)
    _chime: Path | None = None

    def use(self, catalog: Catalog) -> None:
        """A new catalogue (the hall's file applied again): voice packs are read anew."""
        self.catalog = catalog
        self._sites.clear()
        self._recent.clear()

    # ---------------------------------------------------------------- the voices of a site

    async def _site(self, site: SiteInfo) -> _SiteVoice:
        found = self._sites.get(site.id)
        if found is None:
            found = await asyncio.to_thread(self._load, site)
            self._sites[site.id] = found
        return found

    def _load(self, site: SiteInfo) -> _SiteVoice:
        agencies = [name for _, name in site.voice.agencies]
        letters = sorted({letter for s in self.catalog.site_services(site.id) for letter in s.prefix}
                         ) or list(LETTERS)
        clips: dict[str, Clips] = {}
        identity: dict[str, str] = {}
        for language in ("id", "en"):
            if language not in self._espeak:
                self._espeak[language] = EspeakVoice.find(language)
            voice = self._espeak[language]
            if voice is not None:
                clips[language] = ClipCache(self.directory / "speech", voice)
                identity[language] = f"espeak-{voice.voice}"
        if site.voice.pack:
            pack_dir = Path(site.voice.pack)
            if pack_dir.is_dir():
                needed = phrases(letters, agencies, large_numbers=True)
                pack = VoicePack.load(pack_dir, needed)
                fallback = clips.get("id")
                clips["id"] = PackClips(pack, self.directory / "pack",
                                        fallback if isinstance(fallback, ClipCache) else None)
                identity["id"] = f"pack-{pack.identity}"
                log.info("site %s speaks in the voice pack %s (%d of %d phrases)", site.code,
                         pack_dir, len(pack.clips), len(needed))
            else:
                log.warning("site %s: the voice pack %s is not there; espeak-ng speaks",
                            site.code, pack_dir)
        books = {"id": PhraseBook(phrases(LETTERS, agencies, large_numbers=True)),
                 "en": PhraseBook(english_phrases(LETTERS, agencies))}
        if not clips:
            log.warning("no espeak-ng voice and no voice pack: displays hear the chime alone")
        return _SiteVoice(clips, books, identity)

    # ---------------------------------------------------------------- audio

    def chime(self) -> Path:
        if self._chime is None:
            self._chime = chime_wav(self.directory)
        return self._chime

    async def audio(self, site: SiteInfo, language: str, text: str) -> tuple[bytes, Outcome]:
        """The WAV bytes of an announcement's sentence, rendered once: the latest are answered
        from memory (two hundred displays ask for each call at once), the others from disk."""
        key = (site.id, language, text)
        kept = self._recent.get(key)
        if kept is not None:
            self._recent.move_to_end(key)
            self.counts.hits += 1
            return kept[0], "hit"
        path, outcome = await self._clip(site, language, text)
        body = await asyncio.to_thread(path.read_bytes)
        self._keep(key, body)
        return body, outcome

    def _keep(self, key: tuple[int, str, str], body: bytes) -> None:
        try:
            with wave.open(io.BytesIO(body)) as clip:
                seconds = clip.getnframes() / float(clip.getframerate())
        except (wave.Error, EOFError):
            seconds = spoken_seconds(key[1], key[2])
        self._recent[key] = (body, seconds)
        while len(self._recent) > KEPT_IN_MEMORY:
            self._recent.popitem(last=False)

    async def _clip(self, site: SiteInfo, language: str, text: str) -> tuple[Path, Outcome]:
        """The rendered audio of an announcement's sentence (rendering it once)."""
        voice = await self._site(site)
        if len(text) > LONGEST_TEXT or language not in voice.books or \
                voice.books[language].split(text) is None:
            raise Invalid("Hanya kalimat pengumuman yang dapat diucapkan.",
                          "Only the sentences of announcements are spoken.", code="not_spoken")
        clips = voice.clips.get(language)
        if clips is None:
            raise NotFound(f"Tidak ada suara untuk bahasa '{language}' di server ini.",
                           f"This server has no voice for '{language}' (install espeak-ng).",
                           code="no_voice")
        path = clips.path(text)
        if path.exists():
            self.counts.hits += 1
            return path, "hit"
        pending = self._rendering.get(path)
        if pending is not None:
            self.counts.joined += 1
            return await asyncio.shield(pending), "joined"
        future: asyncio.Future[Path] = asyncio.get_running_loop().create_future()
        self._rendering[path] = future
        try:
            async with self._renders:
                rendered = await asyncio.to_thread(clips.get, text)
        except Exception as exc:
            self.counts.failed += 1
            future.set_exception(exc)
            future.exception()  # retrieved: a failure nobody joined is not "never retrieved"
            log.error("rendering %r failed: %s", text, exc)
            raise
        else:
            self.counts.rendered += 1
            future.set_result(rendered)
            return rendered, "rendered"
        finally:
            del self._rendering[path]

    def prepare(self, site: SiteInfo, language: str, text: str) -> None:
        """Render in the background (a call just committed: its displays will ask soon)."""
        async def render() -> None:
            try:
                await self.audio(site, language, text)
            except Exception as exc:  # the display's own request will say what went wrong
                log.debug("preparing %r: %s", text, exc)

        task = asyncio.get_running_loop().create_task(render())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def on_events(self, events: Sequence[Event]) -> None:
        """The bus listener: each call's sentence is rendered as soon as it is committed."""
        for event in events:
            if isinstance(event, (TicketCalled, TicketRecalled)):
                try:
                    site = self.catalog.site(event.site)
                except NotFound:
                    continue
                self.prepare(site, "id", event.announce)

    async def seconds(self, site: SiteInfo, language: str, text: str) -> float:
        """How long a sentence takes: its clip's length once rendered, else the usual rate."""
        kept = self._recent.get((site.id, language, text))
        if kept is not None:
            return kept[1]
        voice = await self._site(site)
        clips = voice.clips.get(language)
        if clips is not None:
            path = clips.path(text)
            if path.exists():
                try:
                    return wav_seconds(path)
                except Exception:  # a half-written or foreign file: the usual rate
                    pass
        return spoken_seconds(language, text)

    def audio_url(self, site: SiteInfo, language: str, text: str) -> str:
        voice = self._sites.get(site.id)
        version = voice.identity.get(language, "") if voice else ""
        query = urlencode({"language": language, "text": text, "v": version})
        return f"/api/v1/sites/{site.code}/audio?{query}"

    # ---------------------------------------------------------------- planning

    async def plan(self, site: SiteInfo, request: PlanRequest) -> PlanOut:
        """The next utterance for the waiting calls, by the announcement queue's rules."""
        voice = await self._site(site)
        languages = tuple(dict.fromkeys(lang for lang in request.languages if lang in voice.clips))
        estimates: dict[tuple[str, str], float] = {}

        async def known(language: str, text: str) -> None:
            if (language, text) not in estimates:
                estimates[(language, text)] = await self.seconds(site, language, text)

        queue = AnnouncementQueue(languages=languages or ("id",), within=request.within,
                                  estimate=lambda language, text: estimates.get(
                                      (language, text), spoken_seconds(language, text)),
                                  chime_seconds=wav_seconds(self.chime()),
                                  wording=site.voice.wording)
        for call in request.calls:
            queue.add(Call(call.ticket_id, call.number, call.counter_number, call.agency,
                           -call.age_seconds, call.recall))
        for held in queue.pending:  # the single calls' lengths, where rendered already
            for language, text in zip(("id", "en"), queue.wording.call(
                    held.number, held.counter_number, held.agency), strict=True):
                if language in queue.languages:
                    await known(language, text)
        utterance = queue.next(0.0)
        waiting = [WaitingCall(ticket_id=c.ticket_id, number=c.number,
                               counter_number=c.counter_number, agency=c.agency,
                               age_seconds=max(0.0, -c.at), recall=c.recall)
                   for c in queue.pending]
        if utterance is None:
            return PlanOut(utterance=None, waiting=waiting)
        sentences = []
        for language, text in utterance.sentences:
            if language in voice.clips and (site.id, language, text) not in self._recent:
                self.prepare(site, language, text)  # not ready yet: the displays will ask
            sentences.append(Sentence(language=language,  # type: ignore[arg-type]
                                      text=text,
                                      audio=self.audio_url(site, language, text),
                                      seconds=estimates.get((language, text),
                                                            spoken_seconds(language, text))))
        playable = [s for s in sentences if s.language in voice.clips]
        return PlanOut(utterance=UtteranceOut(
            kind=utterance.kind,  # type: ignore[arg-type]
            chime="/api/v1/audio/chime.wav" if utterance.chime else None,
            sentences=playable, said=[c.ticket_id for c in utterance.calls],
            skipped=[c.ticket_id for c in utterance.skipped]), waiting=waiting)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
