"""The words of the web pages, Indonesian first, English second."""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = ("id", "en")

WORDS: dict[str, tuple[str, str]] = {
    "ticket": ("Tiket", "Ticket"),
    "your_number": ("Nomor antrean Anda", "Your queue number"),
    "service": ("Layanan", "Service"),
    "agency": ("Instansi", "Agency"),
    "status": ("Status", "Status"),
    "people_ahead": ("Orang di depan Anda", "People ahead of you"),
    "estimated_wait": ("Perkiraan waktu tunggu", "Estimated wait"),
    "minutes": ("menit", "minutes"),
    "about": ("sekitar", "about"),
    "go_to": ("Silakan menuju", "Please go to"),
    "issued_at": ("Diambil pukul", "Issued at"),
    "updated_at": ("Diperbarui", "Updated"),
    "live_note": ("Halaman ini diperbarui otomatis.", "This page updates by itself."),
    "offline_note": ("Koneksi terputus; mencoba lagi…", "Connection lost; retrying…"),
    "priority": ("Prioritas", "Priority"),
    "visit_plan": ("Rencana kunjungan Anda", "Your visit"),
    "visit_step": ("Layanan {at} dari {of}", "Service {at} of {of}"),
    "at_agency": ("di", "at"),
    "stop_pending": ("Berikutnya", "Later"),
    "stop_waiting": ("Sekarang: menunggu", "Now: waiting"),
    "stop_at_counter": ("Sekarang: di loket", "Now: at the counter"),
    "stop_missed": ("Tidak hadir; ditahan", "Missed; held"),
    "stop_done": ("Selesai", "Done"),
    "stop_dropped": ("Dibatalkan petugas", "Dropped by the officer"),
    "stop_lapsed": ("Gugur", "Lapsed"),
    "visit_held": ("Datang kembali sebelum pukul {time} agar kunjungan Anda berlanjut.",
                   "Come back before {time} for your visit to go on."),
    "st_reserved": ("Sedang dicetak", "Printing"),
    "st_waiting": ("Menunggu", "Waiting"),
    "st_called": ("Dipanggil", "Called"),
    "st_serving": ("Sedang dilayani", "Being served"),
    "st_finished": ("Selesai", "Finished"),
    "st_no_show": ("Tidak hadir saat dipanggil", "Missed the call"),
    "st_cancelled": ("Dibatalkan", "Cancelled"),
    "st_expired": ("Kedaluwarsa", "Expired"),
    "no_show_help": ("Lapor ke petugas loket bila Anda masih di gedung.",
                     "Tell the counter officer if you are still in the hall."),
    "survey_title": ("Survei Kepuasan Masyarakat", "Satisfaction survey"),
    "survey_intro": ("Bantu kami memperbaiki pelayanan: nilai sembilan unsur berikut "
                     "(1 = tidak baik, 4 = sangat baik). Sekali per tiket.",
                     "Help us improve: rate the nine elements below "
                     "(1 = poor, 4 = very good). Once per ticket."),
    "score_1": ("Tidak baik", "Poor"),
    "score_2": ("Kurang baik", "Fair"),
    "score_3": ("Baik", "Good"),
    "score_4": ("Sangat baik", "Very good"),
    "comment": ("Saran atau keluhan (boleh dikosongkan)", "Suggestions or complaints (optional)"),
    "send": ("Kirim", "Send"),
    "survey_thanks": ("Terima kasih! Survei Anda sudah kami terima.",
                      "Thank you! We have received your survey."),
    "survey_incomplete": ("Mohon isi kesembilan unsur.", "Please rate all nine elements."),
    "not_found": ("Tiket tidak ditemukan", "Ticket not found"),
    "not_found_help": ("Periksa kembali kode pada tiket Anda.", "Check the code on your ticket."),
    "catalogue": ("Daftar Layanan", "Service catalogue"),
    "catalogue_intro": ("Persyaratan, biaya dan waktu layanan setiap instansi: siapkan berkas "
                        "sebelum datang.", "Requirements, fees and target times of every "
                        "agency's services: come prepared."),
    "requirements": ("Persyaratan", "Requirements"),
    "no_requirements": ("Tidak ada persyaratan khusus.", "No particular requirements."),
    "fee": ("Biaya", "Fee"),
    "target_time": ("Target waktu tunggu", "Target waiting time"),
    "open_now": ("Buka", "Open"),
    "closed_now": ("Tutup", "Closed"),
    "waiting_now": ("sedang menunggu", "waiting now"),
    "language": ("English", "Bahasa Indonesia"),
}


def translator(lang: str) -> Callable[[str], str]:
    index = 1 if lang == "en" else 0

    def t(key: str) -> str:
        words = WORDS.get(key)
        return key if words is None else words[index]

    return t

