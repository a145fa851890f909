"""``antrean voice check|record|try``: a hall's own recorded voice (see hardware.audio.voice_pack)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from common.announce import LARGE_NUMBER_WORDS, Wording, phrases


def register(subcommands: Any) -> None:
    voice = subcommands.add_parser(
        "voice", help="voice packs: the hall's own recorded voice for the calls",
        description="A voice pack is a folder of WAV clips, one per phrase of a call "
                    "(nomor antrean, the letters, the numbers as words, silakan menuju, loket…). "
                    "Name it in the hall's file ([site.voice] pack) and every display says the "
                    "calls in that voice.")
    actions = voice.add_subparsers(dest="voice_command", metavar="ACTION", required=True)

    check = actions.add_parser("check", help="list the clips a pack lacks or cannot use")
    check.add_argument("folder", type=Path)
    _hall_option(check)
    check.set_defaults(run=_check)

    record = actions.add_parser(
        "record", help="record the phrases with a microphone, one by one",
        description="Shows each phrase the pack lacks; press Enter and say it. A take that is "
                    "silent, clipped or too quiet is asked for again.")
    record.add_argument("folder", type=Path)
    _hall_option(record)
    record.add_argument("--source", default="sox",
                        help="where the sound comes from: sox (the default microphone, via "
                             "sox), arecord, raw:PATH (raw 16-bit mono PCM from a file or pipe) "
                             "or command:CMD (a program writing such PCM)")
    record.add_argument("--rate", type=int, default=22050, help="samples a second (22050)")
    record.add_argument("--all", action="store_true",
                        help="record every phrase again, not only the missing or unusable")
    record.add_argument("--no-playback", action="store_true",
                        help="do not play each take back")
    record.set_defaults(run=_record)

    trial = actions.add_parser("try", help="say a call in the pack's voice")
    trial.add_argument("folder", type=Path)
    trial.add_argument("number", help="ticket number, e.g. A-012")
    trial.add_argument("counter", type=int, help="counter number")
    _hall_option(trial)
    trial.add_argument("--out", type=Path, help="write the WAV here instead of playing it")
    trial.set_defaults(run=_try)


def _hall_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, metavar="HALL.toml",
                        help="the hall's file: only its prefixes' letters are needed, its "
                             "[site.voice] agencies' names too, and its numbers wording is used")


def needed_phrases(config: Path | None) -> tuple[list[str], Wording]:
    """The phrases a pack needs for a hall (every letter without one), and its wording."""
    if config is None:
        return phrases(), Wording()
    from server.config.hall import load_hall

    hall = load_hall(config)
    voice = hall.site.voice
    letters = sorted({letter for service in hall.service for letter in service.prefix})
    large = any(counter.number >= 1000 for counter in hall.counter)
    return (phrases(letters, list(voice.agencies.values()), large_numbers=large),
            Wording(voice.numbers, dict(voice.agencies)))


def _load(config: Path | None) -> tuple[list[str], Wording] | None:
    from server.config.hall import ConfigError

    try:
        return needed_phrases(config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return None


def _check(args: argparse.Namespace) -> int:
    from hardware.audio.voice_pack import check_pack

    loaded = _load(args.config)
    if loaded is None:
        return 2
    needed, _ = loaded
    if not args.folder.is_dir():
        print(f"{args.folder}: no such folder (antrean voice record {args.folder} makes one)",
              file=sys.stderr)
        return 2
    problems = check_pack(args.folder, needed)
    missing = [p for p in problems if p.problem == "missing"]
    bad = [p for p in problems if p.problem != "missing"]
    print(f"voice pack {args.folder}: {len(needed) - len(problems)} of {len(needed)} phrases usable")
    if missing:
        print(f"missing ({len(missing)}):")
        for problem in missing:
            print(f"  {problem.file}  «{problem.phrase}»")
    if bad:
        print(f"unusable ({len(bad)}):")
        for problem in bad:
            print(f"  {problem.file}  «{problem.phrase}»: {problem.problem}")
    optional = [w for w in LARGE_NUMBER_WORDS if w not in needed]
    if optional:
        print(f"optional, for numbers past 999: {', '.join(optional)}")
    if problems:
        print(f"record them: antrean voice record {args.folder}"
              + (f" --config {args.config}" if args.config else ""))
        return 1
    print("complete: every call of the hall can be said in this voice")
    return 0


def _record(args: argparse.Namespace) -> int:
    from hardware.audio.recording import source_of, walk_through

    loaded = _load(args.config)
    if loaded is None:
        return 2
    needed, _ = loaded
    try:
        source = source_of(args.source, args.rate)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    play = None if args.no_playback else _player()

    def ask(prompt: str) -> str:
        try:
            return input(prompt)
        except EOFError:
            return "q"

    outcome = walk_through(args.folder, needed, source, ask=ask, say=print, play=play,
                           redo=args.all)
    return 1 if outcome.stopped or outcome.skipped else 0


def _player() -> Any:
    try:
        from hardware.audio import MixerPlayer

        player = MixerPlayer()
    except Exception as exc:  # no sound card: record without playing back
        print(f"(no playback: {exc})")
        return None
    return lambda path: player.play(path).wait()


def _try(args: argparse.Namespace) -> int:
    from hardware.audio.voice_pack import VoicePack

    loaded = _load(args.config)
    if loaded is None:
        return 2
    needed, wording = loaded
    pack = VoicePack.load(args.folder, needed)
    text = wording.call(args.number, args.counter)[0]
    print(text)
    out = args.out or Path(args.folder) / ".try.wav"
    if pack.write(text, out) is None:
        print(f"the pack cannot say this: it lacks {_lacking(pack, text)} "
              f"(antrean voice check {args.folder})", file=sys.stderr)
        return 1
    if args.out is None:
        player = _player()
        if player is not None:
            player(out)
        out.unlink(missing_ok=True)
    else:
        print(f"written to {args.out}")
    return 0


def _lacking(pack: Any, text: str) -> str:
    from common.announce import split_phrases

    everything = phrases(agency_names=[], large_numbers=True)
    said = split_phrases(text, everything) or []
    return ", ".join(repr(p) for p in said if p != "," and p not in pack.clips) or "a phrase"
