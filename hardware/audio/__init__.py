"""Spoken calls: a synthesised chime, espeak-ng sentences cached as WAV, a queue, pygame mixer."""

from hardware.audio.announcer import Announcer
from hardware.audio.chime import chime_wav
from hardware.audio.player import MixerPlayer, Player
from hardware.audio.speech import ClipCache, EspeakVoice

__all__ = ["Announcer", "ClipCache", "EspeakVoice", "MixerPlayer", "Player", "chime_wav"]
