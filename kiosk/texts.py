"""What the kiosk says, in Indonesian first and English second."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from common.formats import Fee, clock_time, day_name, fee
from common.protocol.models import ServiceOut

TEXTS: dict[str, tuple[str, str]] = {
    "touch": ("Sentuh layar untuk mengambil nomor antrean", "Touch the screen to take a number"),
    "choose_agency": ("Pilih instansi", "Choose an agency"),
    "choose_service": ("Pilih layanan", "Choose a service"),
    "waiting": ("menunggu", "waiting"),
    "no_queue": ("Tidak ada antrean", "Nobody waiting"),
    "all_closed": ("Tutup hari ini", "Closed now"),
    "more_on_next": ("Selengkapnya di layar berikutnya ›", "The full list on the next screen ›"),
    "bring": ("Siapkan persyaratan berikut", "Please bring"),
    "no_requirements": ("Tidak ada persyaratan khusus.", "No particular requirements."),
    "reprint_later": ("Cetak ulang dapat dilakukan setelah printer siap. Petugas sudah diberi tahu.",
                      "Print again once the printer is ready. The staff have been told."),
    "about": ("perkiraan", "about"),
    "minutes": ("menit", "min"),
    "back": ("Kembali", "Back"),
    "another": ("+ Layanan lain", "+ Another service"),
    "your_plan": ("Satu nomor untuk:", "One number for:"),
    "home": ("Awal", "Start"),
    "language": ("English", "Bahasa Indonesia"),
    "fee": ("Biaya", "Fee"),
    "target": ("Target layanan", "Target time"),
    "requirements": ("Persyaratan", "Requirements"),
    "closed": ("Tutup", "Closed"),
    "opens": ("buka", "opens"),
    "quota": ("Kuota hari ini habis", "Today's quota is used up"),
    "priority_question": ("Apakah Anda berhak atas layanan prioritas?",
                          "Are you entitled to priority service?"),
    "priority_note": ("Lansia, penyandang disabilitas, ibu hamil, anak-anak, korban bencana "
                      "(UU 25/2009 pasal 29). Petugas dapat meminta bukti.",
                      "Elderly, disabled, pregnant, children, disaster victims (Law 25/2009 "
                      "art. 29). Staff may ask for proof."),
    "regular": ("Tidak, antrean biasa", "No, regular queue"),
    "elderly": ("Lansia", "Elderly"),
    "disability": ("Disabilitas", "Disability"),
    "pregnant": ("Ibu hamil", "Pregnant"),
    "child": ("Anak-anak", "Child"),
    "disaster_victim": ("Korban bencana", "Disaster victim"),
    "issuing": ("Mohon tunggu, nomor Anda sedang dibuat…", "Please wait, making your number…"),
    "your_number": ("Nomor antrean Anda", "Your queue number"),
    "ahead": ("orang di depan Anda", "people ahead of you"),
    "printing": ("Tiket sedang dicetak…", "Printing your ticket…"),
    "take_ticket": ("Silakan ambil tiket Anda dan tunggu panggilan.",
                    "Please take your ticket and wait to be called."),
    "print_failed": ("Printer bermasalah. Mohon catat nomor Anda.",
                     "The printer has a problem. Please note your number."),
    "keep": ("Saya sudah mencatat nomornya", "I have noted the number"),
    "reprint": ("Cetak ulang", "Print again"),
    "cancel": ("Batalkan", "Cancel"),
    "done": ("Selesai", "Done"),
    "served_at": ("Dilayani di loket", "Served at counter"),
    "watch_display": ("Perhatikan layar dan suara panggilan: nomor Anda dan loketnya akan diumumkan.",
                      "Watch the display and listen: your number and counter will be called."),
    "priority_mark": ("PRIORITAS", "PRIORITY"),
    "unavailable": ("Layanan antrean sementara tidak tersedia.",
                    "The queue service is temporarily unavailable."),
    "ask_staff": ("Silakan hubungi petugas informasi. Kami mencoba tersambung kembali…",
                  "Please ask the information desk. Reconnecting…"),
    "checkin_button": ("Sudah daftar online?", "Registered online?"),
    "checkin_title": ("Check-in pendaftaran online", "Check in your online booking"),
    "checkin_help": ("Pindai QR di HP Anda pada pemindai di bawah layar, atau ketik kodenya.",
                     "Scan the QR on your phone at the scanner below the screen, or type the "
                     "code."),
    "checkin_submit": ("Check-in", "Check in"),
    "erase": ("Hapus", "Delete"),
    "checking": ("Mohon tunggu, pendaftaran Anda sedang diperiksa…",
                 "Please wait, checking your booking…"),
    "booked_mark": ("TERDAFTAR ONLINE", "BOOKED ONLINE"),
}

def say(key: str, language: str) -> str:
    indonesian, english = TEXTS[key]
    return english if language == "en" else indonesian


def fee_of(service: ServiceOut, language: str) -> Fee:
    """The fee in the catalogue's words (``common.formats.fee``), in the kiosk's language."""
    return fee(service.fee, service.fee_note, service.fee_note_en, language)


def queue_text(waiting: int, wait_minutes: int | None, language: str) -> str:
    """How long the line is, in words a citizen reads at a glance: "Tidak ada antrean" when
    nobody waits, the wait only when there is one."""
    if waiting <= 0:
        return say("no_queue", language)
    text = f"{waiting} {say('waiting', language)}"
    if wait_minutes:
        text += f" · ±{wait_minutes} {say('minutes', language)}"
    return text


def service_name(service: ServiceOut, language: str) -> str:
    return service.name_en if language == "en" and service.name_en else service.name


def requirements(service: ServiceOut, language: str) -> list[str]:
    return service.requirements_en if language == "en" and service.requirements_en \
        else service.requirements


def closed_text(service: ServiceOut, language: str, timezone: str) -> str | None:
    if service.closed_reason is None:
        return None
    if service.closed_reason == "quota_reached":
        return say("quota", language)
    text = say("closed", language)
    if service.next_opening is not None:
        local = service.next_opening.astimezone(ZoneInfo(timezone))
        day = day_name(local, language)
        text += f" · {say('opens', language)} {day} {clock_time(local)}"
    return text
