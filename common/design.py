"""The hall's screens' one design: colours, words, keys and timings, for pygame and the browser.

The pygame apps (display, counter) import these; the server hands them to its browser pages
(``/display``, ``/loket``) as JSON (``design()``, also at ``GET /api/v1/design``), so a board
in a browser and a board on a pygame screen show the same words in the same colours and cannot
drift apart. How calls are said, and in which order, is ``common.announce_queue``'s (the
server plans for browser displays with it); its figures are here too, for the pages to show.

No pygame here: the server imports it.
"""

from __future__ import annotations

from typing import Any

from common.announce_queue import CHIME_SECONDS, FOLD_LIMIT, WITHIN_SECONDS
from common.formats import DAYS_ID, MONTHS_ID

Color = tuple[int, int, int]

# ---------------------------------------------------------------- the kit's palette
# High contrast for elderly eyes: dark text on light panels, white on saturated tiles.
INK: Color = (20, 24, 31)
PAPER: Color = (246, 247, 249)
PANEL: Color = (255, 255, 255)
MUTED: Color = (92, 99, 112)
LINE: Color = (210, 214, 222)
ACCENT: Color = (0, 86, 179)
OK: Color = (21, 128, 61)
WARN: Color = (180, 83, 9)
DANGER: Color = (185, 28, 28)
DISABLED: Color = (160, 166, 176)
WHITE: Color = (255, 255, 255)

# ---------------------------------------------------------------- the TV display
# A dark hall screen: light text on deep blue glares less and reads further than black on white.
DISPLAY_COLORS: dict[str, Color] = {
    "background": (10, 25, 49),
    "surface": (20, 42, 77),
    "surface_line": (44, 72, 117),
    "text": (255, 255, 255),
    "soft": (178, 194, 219),
    "number": (255, 214, 10),  # ticket numbers: the one thing the eye looks for
    "calling": (255, 214, 10),  # the highlighted panel
    "calling_ink": (10, 25, 49),
    "offline": (220, 38, 38),
    "ticker": (0, 86, 179),
}
DISPLAY_TEXTS: dict[str, tuple[str, str]] = {
    "calling": ("NOMOR ANTREAN", "NOW CALLING"),
    "recall": ("PANGGILAN ULANG", "CALLED AGAIN"),
    "counter": ("LOKET", "COUNTER"),
    "go_to": ("silakan menuju", "please go to"),
    "recent": ("Panggilan terakhir", "Recent calls"),
    "counters": ("Loket", "Counters"),
    "none_yet": ("Belum ada panggilan", "No calls yet"),
    "waiting_data": ("Menghubungkan ke server…", "Connecting to the server…"),
    "offline": ("TERPUTUS", "OFFLINE"),
    "offline_note": ("menampilkan data terakhir", "showing the last data"),
    "paused": ("Istirahat", "Paused"),
    "closed": ("Tutup", "Closed"),
    "serving": ("dilayani", "serving"),
    "more": ("antrean berikutnya", "next in turn"),
}
HOLD_SECONDS = 6.0  # how long one call holds the big panel when others are waiting
RECENT_CALLS = 12
QUEUE_LIMIT = 64  # calls waiting for the big panel; beyond this the oldest are skipped
REPLAY_ANNOUNCE_SECONDS = 90.0  # a missed call replayed after a reconnect is still announced if
#                                 it is this fresh; older ones only appear in the lists
BLINK_SECONDS = 0.5  # the highlighted panel's frame flashes at this half-period
TICKER_PIXELS_PER_SECOND = 120.0  # at a 1080-line screen; the browser scales it with the unit
UNITS_PER_SHORT_SIDE = 36  # the layout's unit: 30 px on a 1080-line screen

# ---------------------------------------------------------------- the counter
# The buttons in order: the action, its key in the pygame window, its key in a browser (F-keys
# there reload, search or leave the page, so the browser counts 1 … 0 along the same row).
COUNTER_BUTTONS: tuple[tuple[str, str, str], ...] = (
    ("call_next", "F1", "1"), ("recall", "F2", "2"), ("start", "F3", "3"),
    ("finish", "F4", "4"), ("no_show", "F5", "5"), ("transfer", "F6", "6"),
    ("pause", "F7", "7"), ("return", "F8", "8"), ("call", "F9", "9"), ("close", "F10", "0"),
)
LANGUAGE_KEYS = ("F12", "L")  # pygame, browser
CHECK_IN_KEY = "F11"  # the pygame counter: check in a citizen booked online
COUNTER_BUTTON_COLORS: dict[str, Color] = {
    "call_next": ACCENT, "recall": ACCENT, "start": OK, "finish": OK,
    "no_show": WARN, "transfer": WARN, "pause": (14, 116, 144), "return": (109, 40, 217),
    "call": (109, 40, 217), "close": DANGER,
}
COUNTER_OFF_FILL: Color = (229, 231, 235)  # a button that does nothing now: pale, words grey
COUNTER_STATE_COLORS: dict[str, Color] = {"open": OK, "paused": WARN, "closed": MUTED}
PAUSE_REASONS: tuple[tuple[str, str], ...] = (
    ("Istirahat", "Break"),
    ("Salat Jumat", "Friday prayer"),
    ("Gangguan sistem", "System outage"),
    ("Rapat / tugas lain", "Meeting / other duty"),
)
# {call_next}, {pause}…: the key of that button, as the screen showing the text has it.
COUNTER_TEXTS: dict[str, tuple[str, str]] = {
    "call_next": ("Panggil berikutnya", "Call next"),
    "recall": ("Panggil ulang", "Recall"),
    "start": ("Mulai layani", "Start"),
    "finish": ("Selesai", "Finish"),
    "no_show": ("Tidak hadir", "No-show"),
    "transfer": ("Pindah layanan", "Transfer"),
    "open": ("Buka loket", "Open counter"),
    "pause": ("Jeda", "Pause"),
    "resume": ("Lanjutkan", "Resume"),
    "return": ("Kembalikan ke antrean", "Return to line"),
    "call": ("Panggil nomor…", "Call a number…"),
    "close": ("Tutup loket", "Close counter"),
    "language": ("English", "Indonesia"),
    "state_open": ("BUKA", "OPEN"),
    "state_paused": ("JEDA", "PAUSED"),
    "state_closed": ("TUTUP", "CLOSED"),
    "no_ticket": ("Belum ada nomor", "No ticket"),
    "no_ticket_hint": ("Tekan {call_next} untuk memanggil nomor berikutnya.",
                       "Press {call_next} to call the next ticket."),
    "closed_hint": ("Loket tutup. Tekan {pause} untuk membuka loket.",
                    "The counter is closed. Press {pause} to open it."),
    "paused_hint": ("Loket jeda. Tekan {pause} untuk melanjutkan.",
                    "The counter is paused. Press {pause} to resume."),
    "called": ("Dipanggil", "Called"),
    "serving": ("Sedang dilayani", "Being served"),
    "times_called": ("kali dipanggil", "calls"),
    "waited": ("Lama menunggu", "Waited in line"),
    "served_for": ("Lama dilayani", "Serving for"),
    "since_call": ("Sejak dipanggil", "Since called"),
    # Doubled braces: the keys' names are filled in first ("F1"), these after.
    "visit_step": ("Kunjungan {{at}}/{{of}}", "Visit {{at}}/{{of}}"),
    "visit_next": ("lalu ke {{where}}", "then to {{where}}"),
    "visit_last": ("layanan terakhir", "the last service"),
    "priority": ("PRIORITAS", "PRIORITY"),
    "queues": ("Antrean layanan loket ini", "This counter's lines"),
    "priority_short": ("prioritas", "priority"),
    "served_today": ("Dilayani hari ini", "Served today"),
    "offline": ("Koneksi ke server terputus. Menyambung kembali… Tombol dinonaktifkan; nomor "
                "di layar tetap.", "Connection to the server lost. Reconnecting… Buttons are "
                "disabled; the ticket on screen stays."),
    "connecting": ("Menghubungkan ke server…", "Connecting to the server…"),
    "sending": ("Mengirim", "Sending"),
    "login_title": ("Masuk petugas", "Officer login"),
    "login_again": ("Sesi berakhir — masuk lagi untuk melanjutkan. Data loket tetap.",
                    "Session ended — log in again to carry on. The counter's state is kept."),
    "username": ("Nama pengguna", "Username"),
    "password": ("Kata sandi", "Password"),
    "login_hint": ("Tab pindah kolom · Enter masuk", "Tab switches field · Enter logs in"),
    "logging_in": ("Sedang masuk…", "Logging in…"),
    "pick_transfer": ("Pindahkan ke layanan", "Transfer to service"),
    "pick_pause": ("Alasan jeda", "Reason for the pause"),
    "pick_return": ("Kembalikan nomor tidak hadir", "Return an absent ticket"),
    "prompt_pause": ("Tulis alasan jeda", "Write the reason for the pause"),
    "prompt_call_number": ("Nomor yang dipanggil (mis. A-013)", "Number to call (e.g. A-013)"),
    "prompt_call_reason": ("Alasan memanggil di luar urutan (dicatat di jejak audit)",
                           "Why out of order (kept in the audit trail)"),
    "picker_hint": ("↑↓ pilih · Enter kirim · Esc batal", "↑↓ choose · Enter send · Esc cancel"),
    "prompt_hint": ("Enter kirim · Esc batal", "Enter send · Esc cancel"),
    "prompt_check_in": ("Check-in warga yang daftar online: ketik atau pindai kodenya (F11)",
                        "Check in a citizen booked online: type or scan the code (F11)"),
    "minutes": ("mnt", "min"),
}


def counter_keys(browser: bool) -> dict[str, str]:
    """Each action's key on the pygame counter (F1…) or in a browser (1…0): the texts' fields."""
    keys = {action: browser_key if browser else pygame_key
            for action, pygame_key, browser_key in COUNTER_BUTTONS}
    keys["language"] = LANGUAGE_KEYS[1 if browser else 0]
    return keys


def hex_of(color: Color) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


def design() -> dict[str, Any]:
    """All of it, as JSON for the browser pages (colours as ``#rrggbb``)."""
    palette = {"ink": INK, "paper": PAPER, "panel": PANEL, "muted": MUTED, "line": LINE,
               "accent": ACCENT, "ok": OK, "warn": WARN, "danger": DANGER,
               "disabled": DISABLED, "white": WHITE}
    return {
        "palette": {name: hex_of(color) for name, color in palette.items()},
        "display": {
            "colors": {name: hex_of(color) for name, color in DISPLAY_COLORS.items()},
            "texts": DISPLAY_TEXTS,
            "hold_seconds": HOLD_SECONDS,
            "recent_calls": RECENT_CALLS,
            "queue_limit": QUEUE_LIMIT,
            "replay_announce_seconds": REPLAY_ANNOUNCE_SECONDS,
            "blink_seconds": BLINK_SECONDS,
            "ticker_pixels_per_second": TICKER_PIXELS_PER_SECOND,
            "units_per_short_side": UNITS_PER_SHORT_SIDE,
        },
        "counter": {
            "texts": COUNTER_TEXTS,
            "buttons": [{"action": action, "pygame_key": pygame_key, "key": browser_key,
                         "color": hex_of(COUNTER_BUTTON_COLORS[action])}
                        for action, pygame_key, browser_key in COUNTER_BUTTONS],
            "keys": counter_keys(browser=True),
            "off_fill": hex_of(COUNTER_OFF_FILL),
            "state_colors": {s: hex_of(c) for s, c in COUNTER_STATE_COLORS.items()},
            "pause_reasons": PAUSE_REASONS,
        },
        "announce": {"within": WITHIN_SECONDS, "fold_limit": FOLD_LIMIT,
                     "chime_seconds": CHIME_SECONDS},
        "dates": {"days": DAYS_ID, "months": MONTHS_ID},
    }
