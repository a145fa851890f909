"""What the counter client says, in Indonesian first and English second."""

from __future__ import annotations

from datetime import timedelta

TEXTS: dict[str, tuple[str, str]] = {
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
    "no_ticket_hint": ("Tekan F1 untuk memanggil nomor berikutnya.",
                       "Press F1 to call the next ticket."),
    "closed_hint": ("Loket tutup. Tekan F7 untuk membuka loket.",
                    "The counter is closed. Press F7 to open it."),
    "paused_hint": ("Loket jeda. Tekan F7 untuk melanjutkan.",
                    "The counter is paused. Press F7 to resume."),
    "called": ("Dipanggil", "Called"),
    "serving": ("Sedang dilayani", "Being served"),
    "times_called": ("kali dipanggil", "calls"),
    "waited": ("Lama menunggu", "Waited in line"),
    "served_for": ("Lama dilayani", "Serving for"),
    "since_call": ("Sejak dipanggil", "Since called"),
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
    "minutes": ("mnt", "min"),
}


def say(key: str, language: str) -> str:
    texts = TEXTS[key]
    return texts[1] if language == "en" else texts[0]


def pick(message: tuple[str, str], language: str) -> str:
    return message[1] if language == "en" else message[0]


def duration(span: timedelta | None) -> str:
    """``12:05`` (minutes:seconds) under an hour, ``1:12:05`` beyond; ``—`` when unknown."""
    if span is None:
        return "—"
    seconds = max(0, int(span.total_seconds()))
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes:02d}:{seconds:02d}"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"
