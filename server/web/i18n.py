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
    "sms_title": ("Kabari saya lewat SMS", "Text me"),
    "sms_intro": ("Tidak perlu menunggu di depan layar: kami kirim SMS saat giliran Anda dekat "
                  "dan saat nomor Anda dipanggil. Nomor HP hanya dipakai untuk antrean ini dan "
                  "dihapus setelah {days} hari.",
                  "No need to watch the screen: we text you when your turn is near and when "
                  "your number is called. The number is used for this ticket only and erased "
                  "after {days} days."),
    "sms_phone": ("Nomor HP", "Mobile number"),
    "sms_send": ("Kabari saya", "Text me"),
    "sms_on": ("Kami akan mengirim SMS ke", "We will text"),
    "sms_stopped": ("Pemberitahuan dihentikan. Tidak ada pesan lagi untuk tiket ini.",
                    "Notifications stopped. No more messages for this ticket."),
    "sms_stop_question": ("Hentikan pemberitahuan untuk tiket ini?",
                          "Stop the notifications for this ticket?"),
    "sms_stop": ("Hentikan", "Stop them"),
    "st_remote": ("Belum check-in", "Not checked in yet"),
    "st_lapsed": ("Kedaluwarsa (tidak check-in)", "Lapsed (not checked in)"),
    "take_remote": ("Ambil nomor antrean hari ini dari rumah",
                    "Take today's number remotely"),
    "book_slot": ("Pesan tanggal dan jam", "Book a date and slot"),
    "online_left": ("kuota online tersisa", "online places left"),
    "remote_intro": ("Anda mendapat nomor sekarang dan mengikuti antrean dari HP. Datanglah "
                     "saat giliran dekat dan check-in di kios: nomor baru dipanggil setelah "
                     "check-in.",
                     "You get a number now and follow the line on your phone. Come when your "
                     "turn is near and check in at the kiosk: the number is called only after "
                     "check-in."),
    "booking_intro": ("Pilih tanggal dan jam, lalu check-in di kios saat tiba.",
                      "Choose a date and time, then check in at the kiosk when you arrive."),
    "name": ("Nama lengkap", "Full name"),
    "phone": ("Nomor HP", "Mobile number"),
    "nik": ("NIK (16 angka, di KTP atau KK)", "NIK (16 digits, on your ID or family card)"),
    "nik_note": ("NIK hanya disimpan sebagai sidik acak untuk mencegah pendaftaran ganda.",
                 "Your NIK is kept only as a keyed fingerprint, to stop double bookings."),
    "privacy_note": ("Data Anda dihapus otomatis setelah {days} hari (UU 27/2022 "
                     "Pelindungan Data Pribadi).",
                     "Your data is deleted automatically after {days} days (Indonesia's "
                     "personal data protection law, UU 27/2022)."),
    "date": ("Tanggal", "Date"),
    "show_slots": ("Lihat jam", "Show times"),
    "slot": ("Jam", "Time"),
    "places": ("tempat", "places"),
    "full": ("penuh", "full"),
    "no_slots": ("Tidak ada jam tersisa pada tanggal ini. Pilih tanggal lain.",
                 "No times left on this date. Choose another date."),
    "choose_slot": ("Pilih jam terlebih dahulu.", "Choose a time first."),
    "get_number": ("Ambil nomor", "Get my number"),
    "book": ("Pesan", "Book"),
    "booking_code": ("Kode pendaftaran", "Booking code"),
    "show_at_kiosk": ("Tunjukkan QR ini ke pemindai kios (tombol \"Sudah daftar online?\"), "
                      "atau ketik kodenya.",
                      "Show this QR to the kiosk's scanner (button \"Registered online?\"), "
                      "or type the code."),
    "save_png": ("Simpan QR (PNG)", "Save QR (PNG)"),
    "add_calendar": ("Tambah ke kalender (.ics)", "Add to calendar (.ics)"),
    "check_in_window": ("Check-in di kios", "Check in at the kiosk"),
    "cancel_booking": ("Batalkan pendaftaran", "Cancel the booking"),
    "reschedule": ("Ubah jadwal", "Reschedule"),
    "bk_booked": ("Terdaftar", "Booked"),
    "bk_checked_in": ("Sudah check-in", "Checked in"),
    "bk_cancelled": ("Dibatalkan", "Cancelled"),
    "bk_lapsed": ("Kedaluwarsa", "Lapsed"),
    "people_left": ("{n} orang lagi — silakan menuju MPP",
                    "People ahead of you: {n} — please come to the hall"),
    "go_to_hall": ("Giliran Anda sudah dekat — silakan menuju MPP dan check-in di kios",
                   "Your turn is near — please come to the hall and check in at the kiosk"),
    "your_turn_passed": ("Giliran Anda sudah lewat; nomor Anda menunggu sebentar. Segera "
                         "check-in di kios.",
                         "Your turn has passed; your number is held for a while. Check in at "
                         "the kiosk soon."),
    "ticket_page": ("Lihat tiket", "See the ticket"),
    "back_to_services": ("Kembali ke daftar layanan", "Back to the services"),
}


def translator(lang: str) -> Callable[[str], str]:
    index = 1 if lang == "en" else 0

    def t(key: str) -> str:
        words = WORDS.get(key)
        return key if words is None else words[index]

    return t

