"""The one error table: every error code a client can see, its HTTP status and its message.

Services raise ``ServiceError`` subclasses with a stable ``code``; the gateway raises the same kind for what
it checks itself. A code missing here is a bug and answers 500, so adding an error means adding its row.
"""

import logging

from nameko.exceptions import RemoteError

from antre_common.errors import parse_remote

log = logging.getLogger(__name__)

# code: (status, Bahasa Indonesia, English)
ERRORS = {
    "VALIDATION_ERROR": (400, "Data yang dikirim tidak valid.", "The request is invalid."),
    "MALFORMED_JSON": (400, "Isi permintaan bukan JSON yang valid.", "The request body is not valid JSON."),
    "UNAUTHENTICATED": (401, "Silakan masuk terlebih dahulu.", "Please sign in first."),
    "TOKEN_EXPIRED": (401, "Sesi Anda telah berakhir. Silakan masuk kembali.", "Your session has expired."),
    "FORBIDDEN": (403, "Anda tidak berhak melakukan tindakan ini.", "You are not allowed to do this."),
    "NOT_FOUND": (404, "Data tidak ditemukan.", "Not found."),
    "METHOD_NOT_ALLOWED": (405, "Metode tidak diizinkan.", "Method not allowed."),
    "CONFLICT": (409, "Permintaan bertentangan dengan data yang ada.", "The request conflicts with existing data."),
    "PAYLOAD_TOO_LARGE": (413, "Berkas terlalu besar.", "The upload is too large."),
    "REQUEST_TOO_LARGE": (413, "Isi permintaan terlalu besar.", "The request body is too large."),
    "UNSUPPORTED_MEDIA_TYPE": (415, "Jenis isi tidak didukung.", "Unsupported content type."),
    "RATE_LIMITED": (429, "Terlalu banyak permintaan. Coba lagi nanti.", "Too many requests. Try again later."),
    "INTERNAL": (500, "Terjadi kesalahan pada sistem.", "Something went wrong on our side."),
    "SERVICE_UNAVAILABLE": (
        503,
        "Layanan sedang tidak tersedia. Silakan coba beberapa saat lagi.",
        "The service is unavailable. Please try again shortly.",
    ),
    # notification: messages a citizen can verify (the body also says genuine: false)
    "MESSAGE_NOT_FOUND": (
        404,
        "Antre tidak pernah mengirim pesan dengan kode ini. Jangan ikuti isinya; periksa kode sekali lagi.",
        "Antre never sent a message with this code. Do not act on it; check the code once more.",
    ),
    # identity: accounts, codes, sessions
    "ALREADY_REGISTERED": (
        409,
        "NIK atau email ini sudah terdaftar. Silakan masuk.",
        "An account exists for this NIK or email. Please sign in.",
    ),
    "OTP_INVALID": (400, "Kode verifikasi salah.", "The verification code is wrong."),
    "OTP_EXPIRED": (
        400,
        "Kode verifikasi sudah kedaluwarsa. Silakan minta kode baru.",
        "The verification code has expired. Please ask for a new one.",
    ),
    "OTP_ATTEMPTS_EXCEEDED": (
        400,
        "Terlalu banyak kode salah. Silakan minta kode baru.",
        "Too many wrong codes. Please ask for a new one.",
    ),
    "INVALID_CREDENTIALS": (401, "Email atau kata sandi salah.", "Wrong email or password."),
    "ACCOUNT_NOT_VERIFIED": (
        403,
        "Akun belum diverifikasi. Masukkan kode yang kami kirim.",
        "The account is not verified yet. Enter the code we sent.",
    ),
    "ACCOUNT_DISABLED": (403, "Akun ini dinonaktifkan.", "This account is disabled."),
    "LOGIN_LOCKED": (
        429,
        "Terlalu banyak percobaan masuk yang gagal. Coba lagi nanti.",
        "Too many failed sign-ins. Please try again later.",
    ),
    "REFRESH_TOKEN_INVALID": (
        401,
        "Sesi tidak berlaku. Silakan masuk kembali.",
        "The session is not valid. Please sign in again.",
    ),
    "REFRESH_TOKEN_REUSED": (
        401,
        "Sesi ini diakhiri demi keamanan. Silakan masuk kembali.",
        "This session was ended for your security. Please sign in again.",
    ),
    "SESSION_REVOKED": (
        401,
        "Sesi ini telah diakhiri. Silakan masuk kembali.",
        "This session has been ended. Please sign in again.",
    ),
    "CHALLENGE_INVALID": (
        401,
        "Langkah masuk ini sudah tidak berlaku. Silakan masuk kembali dengan kata sandi.",
        "This sign-in step is no longer valid. Please sign in again with your password.",
    ),
    "TOTP_INVALID": (
        401,
        "Kode autentikator salah atau sudah dipakai. Tunggu kode berikutnya.",
        "The authenticator code is wrong or already used. Wait for the next code.",
    ),
    "TOTP_ALREADY_ENROLLED": (
        409,
        "Autentikator sudah terdaftar. Minta admin meresetnya bila ponsel Anda hilang.",
        "An authenticator is enrolled already. Ask an admin to reset it if you lost your phone.",
    ),
    "OTP_USED": (
        400,
        "Kode ini sudah dipakai. Silakan minta kode baru.",
        "This code has already been used. Please ask for a new one.",
    ),
    # identity: population registry and family members
    "NIK_NOT_VERIFIED": (
        422,
        "NIK, nama lengkap, dan tanggal lahir tidak cocok dengan data kependudukan (Dukcapil). Periksa kembali "
        "sesuai KTP atau Kartu Keluarga.",
        "The NIK, full name and birth date do not match the population registry (Dukcapil). Check them against "
        "your ID card or family card.",
    ),
    "NOT_ON_FAMILY_CARD": (
        422,
        "Orang dengan NIK ini tidak tercantum di Kartu Keluarga Anda.",
        "Nobody with this NIK is on your family card.",
    ),
    "DEPENDENT_HAS_ACCOUNT": (
        409,
        "Anggota keluarga ini sudah memiliki akun sendiri dan memesan sendiri.",
        "This family member has an account of their own and books for themselves.",
    ),
    "ALREADY_A_DEPENDENT": (
        409,
        "Anggota keluarga ini sudah didaftarkan oleh pemegang akun lain.",
        "This family member is already registered by another account holder.",
    ),
    "PERSON_NOT_FOUND": (404, "Orang yang dipilih tidak ditemukan.", "No such person among yours."),
    # scheduling: catalogue, availability, bookings
    "OFFICE_NOT_FOUND": (404, "Kantor imigrasi tidak ditemukan.", "No such immigration office."),
    "SERVICE_NOT_FOUND": (404, "Layanan tidak ditemukan.", "No such service."),
    "SLOT_NOT_FOUND": (404, "Jadwal tidak ditemukan.", "No such time slot."),
    "BOOKING_NOT_FOUND": (404, "Pemesanan tidak ditemukan.", "No such booking."),
    "SLOT_FULL": (
        409,
        "Kuota jadwal ini sudah habis. Silakan pilih jadwal lain.",
        "This slot is full. Please pick another.",
    ),
    "SLOT_UNAVAILABLE": (
        409,
        "Jadwal ini sudah lewat atau ditutup. Silakan pilih jadwal lain.",
        "This slot has passed or was closed. Please pick another.",
    ),
    "SLOT_MISMATCH": (
        422,
        "Jadwal ini tidak dapat dipakai untuk pemesanan ini.",
        "This slot cannot be used for this booking.",
    ),
    "DATE_OUT_OF_WINDOW": (
        422,
        "Tanggal di luar periode pemesanan yang dibuka.",
        "The dates are outside the open booking window.",
    ),
    "ALREADY_BOOKED": (
        409,
        "Orang ini sudah memiliki pemesanan aktif. Satu orang hanya dapat memegang satu pemesanan aktif.",
        "This person already has an active booking: one active booking per person.",
    ),
    "BOOKING_NOT_ACTIVE": (409, "Pemesanan ini tidak aktif lagi.", "This booking is no longer active."),
    "CANCEL_TOO_LATE": (
        409,
        "Pemesanan tidak dapat dibatalkan setelah jadwal dimulai.",
        "The slot has started; it can no longer be cancelled.",
    ),
    "RESCHEDULE_TOO_LATE": (
        409,
        "Perubahan jadwal hanya dapat dilakukan paling lambat 24 jam sebelumnya.",
        "Rescheduling is only possible up to 24 hours before the slot.",
    ),
    "RESCHEDULE_LIMIT_REACHED": (
        409,
        "Jadwal pemesanan ini sudah pernah diubah.",
        "This booking has already been rescheduled.",
    ),
    "IDEMPOTENCY_KEY_REUSED": (
        422,
        "Idempotency-Key ini sudah dipakai untuk permintaan lain.",
        "This Idempotency-Key was used for a different request.",
    ),
    "TICKET_NOT_FOUND": (404, "Nomor antrean tidak ditemukan.", "No such ticket."),
    "CHECK_IN_WRONG_DAY": (
        409,
        "Pemesanan ini bukan untuk hari ini.",
        "This booking is not for today.",
    ),
    "TICKET_INVALID_TRANSITION": (
        409,
        "Langkah ini tidak dapat dilakukan pada status antrean saat ini.",
        "This step is not possible in the ticket's current state.",
    ),
    # integration: other ministries' clients, tokens and the replay of antre.integration
    "INVALID_CLIENT": (401, "Client ID atau secret salah.", "Unknown client id or wrong secret."),
    "CLIENT_REVOKED": (
        401,
        "Akses klien integrasi ini telah dicabut. Hubungi tim Antre.",
        "This integration client was revoked. Contact the Antre team.",
    ),
    "CLIENT_NOT_FOUND": (404, "Klien integrasi tidak ditemukan.", "No such integration client."),
    "UNSUPPORTED_GRANT_TYPE": (
        400,
        "Hanya grant_type=client_credentials yang didukung.",
        "Only grant_type=client_credentials is supported.",
    ),
    "INVALID_TOKEN": (
        401,
        "Token integrasi tidak ada, tidak dikenal, atau kedaluwarsa. Minta token baru di /api/v1/auth/token.",
        "The integration token is missing, unknown or expired. Get a new one from /api/v1/auth/token.",
    ),
    "CURSOR_NOT_FOUND": (
        404,
        "Kursor ini tidak pernah diberikan oleh Antre. Gunakan nilai next dari jawaban sebelumnya.",
        "Antre never handed out this cursor. Use the next value of a previous answer.",
    ),
    "CURSOR_EXPIRED": (
        410,
        "Kursor ini lebih lama dari masa simpan; sebagian peristiwa sesudahnya sudah dihapus. Mulai lagi tanpa "
        "after (dari peristiwa tertua yang masih disimpan) dan cocokkan data Anda dengan peristiwa itu.",
        "This cursor is older than the retention period; some events after it were deleted. Start again "
        "without after (from the oldest event kept) and reconcile your data with those events.",
    ),
    # scheduling: the office floor
    "IDENTITY_NOT_CONFIRMED": (
        422,
        "Cocokkan KTP dengan nama, NIK, dan tanggal lahir pemegang pemesanan sebelum check-in.",
        "Compare the KTP with the booking holder's name, NIK and birth date before checking in.",
    ),
    "COUNTER_CLOSED": (409, "Loket ini tidak dibuka di kantor ini.", "That counter is not open at this office."),
    "REQUEUE_DAY_OVER": (
        409,
        "Pengunjung yang tidak hadir hanya dapat kembali ke antrean pada hari yang sama.",
        "A visitor who did not come can only rejoin the queue on the same day.",
    ),
    "WALK_IN_QUOTA_REACHED": (
        409,
        "Kuota pengunjung tanpa janji untuk hari ini sudah habis.",
        "Today's quota for visitors without a booking is used up.",
    ),
    "PRIORITY_QUOTA_REACHED": (
        409,
        "Kuota prioritas hari ini sudah habis. Layani pengunjung ini tanpa prioritas.",
        "Today's priority quota is used up. Serve this visitor without priority.",
    ),
    "DISRUPTION_IN_PAST": (
        422,
        "Periode gangguan ini sudah lewat. Umumkan gangguan yang sedang atau akan terjadi.",
        "This period has already ended. Declare a disruption that is under way or to come.",
    ),
    "DISRUPTION_OVERLAPS": (
        409,
        "Sudah ada gangguan yang diumumkan untuk sebagian periode ini.",
        "A disruption is already declared for part of this period.",
    ),
    # scheduling: releases, waiting rooms, waitlist, cooldown (issue 21)
    "RELEASE_NOT_FOUND": (404, "Pembukaan kuota tidak ditemukan.", "No such quota release."),
    "RELEASE_CLOSED": (
        409,
        "Kuota ini sudah habis atau harinya sudah lewat.",
        "This release is sold out or its day has passed.",
    ),
    "RELEASE_EXISTS": (
        409,
        "Kantor ini sudah memiliki pembukaan kuota untuk hari itu.",
        "That day already has a release.",
    ),
    "WAITING_ROOM_NOT_OPEN": (
        409,
        "Ruang tunggu belum dibuka. Silakan kembali pada waktu yang tertera.",
        "The waiting room is not open yet. Please come back at the time shown.",
    ),
    "QUEUE_PLACE_NOT_FOUND": (404, "Anda belum masuk ruang tunggu ini.", "You have not joined this waiting room."),
    "ADMISSION_REQUIRED": (
        403,
        "Kuota ini dibuka melalui ruang tunggu. Masuk ruang tunggu dan tunggu giliran Anda.",
        "This quota opens through a waiting room. Join it and wait for your turn.",
    ),
    "ADMISSION_INVALID": (
        403,
        "Izin masuk ini tidak berlaku untuk Anda atau untuk kuota ini.",
        "This admission is not valid for you or for this release.",
    ),
    "ADMISSION_EXPIRED": (
        403,
        "Waktu giliran Anda sudah habis. Silakan masuk ruang tunggu lagi.",
        "Your turn has expired. Please join the waiting room again.",
    ),
    "ADMISSION_USED": (
        409,
        "Izin masuk ini sudah dipakai untuk satu pemesanan.",
        "This admission has already been used for a booking.",
    ),
    "BOOKING_COOLDOWN": (
        409,
        "Anda terlalu sering membatalkan pemesanan. Pemesanan baru dapat dilakukan lagi setelah waktu yang tertera.",
        "You cancelled too often. You can book again after the time shown.",
    ),
    "WAITLIST_NOT_FOUND": (404, "Daftar tunggu tidak ditemukan.", "No such waitlist entry."),
    "WAITLIST_NOT_FOR_PREPAID": (
        409,
        "Layanan yang dibayar sebelum kedatangan tidak memiliki daftar tunggu. Coba lagi nanti: kursi yang tidak "
        "dibayar dilepas kembali.",
        "Services paid before the visit have no waitlist. Try again later: unpaid seats are released again.",
    ),
    "SEATS_AVAILABLE": (
        409,
        "Hari ini masih memiliki kuota. Silakan langsung memesan.",
        "This day still has seats. Please book one instead.",
    ),
    "OFFER_NOT_ACTIVE": (
        409,
        "Tidak ada tawaran yang masih berlaku untuk diterima.",
        "There is no live offer to accept.",
    ),
    "TOO_BUSY": (
        429,
        "Sistem sedang sangat sibuk. Silakan coba lagi dalam beberapa detik.",
        "The system is very busy. Please try again in a few seconds.",
    ),
    # identity: one phone number, a few accounts (issue 21)
    "PHONE_LIMIT_REACHED": (
        409,
        "Nomor telepon ini sudah dipakai oleh akun lain. Gunakan nomor Anda sendiri.",
        "This phone number is already used by other accounts. Please use your own number.",
    ),
    # documents: uploads and review
    "EMPTY_FILE": (400, "Berkas kosong.", "The file is empty."),
    "UNSUPPORTED_FILE_TYPE": (
        415,
        "Hanya berkas PDF, JPEG, atau PNG yang diterima.",
        "Only PDF, JPEG and PNG files are accepted.",
    ),
    "DOCUMENT_UNREADABLE": (
        422,
        "Berkas tidak dapat dibaca (rusak, terpotong, atau dilindungi kata sandi).",
        "The file cannot be read (damaged, cut short or password-protected).",
    ),
    "IMAGE_TOO_LARGE": (
        422,
        "Resolusi gambar terlalu besar. Kirim foto atau pindaian dengan resolusi lebih kecil.",
        "The image's resolution is too large. Send a photo or scan at a lower resolution.",
    ),
    "DOCUMENT_TOO_COMPLEX": (
        422,
        "Berkas ini terlalu rumit untuk diperiksa. Simpan ulang sebagai PDF, JPEG, atau PNG biasa lalu kirim lagi.",
        "This file is too complex to check. Save it again as a plain PDF, JPEG or PNG and send it again.",
    ),
    "DOC_TYPE_NOT_ON_CHECKLIST": (
        422,
        "Dokumen ini tidak diperlukan untuk layanan yang dipesan.",
        "The booked service does not ask for this document.",
    ),
    "BOOKING_CLOSED": (
        409,
        "Pemesanan sudah berakhir; dokumen tidak dapat diunggah lagi.",
        "The booking has ended; documents can no longer be uploaded.",
    ),
    # payment: fees (PNBP), the payment channel's notifications, refunds
    "PAYMENT_SIGNATURE_INVALID": (
        401,
        "Tanda tangan notifikasi pembayaran tidak sah.",
        "The payment notification's signature is missing or invalid.",
    ),
    "PAYMENT_TIMESTAMP_OUT_OF_WINDOW": (
        401,
        "Waktu tanda tangan notifikasi di luar batas; tanda tangani ulang dan kirim lagi.",
        "The notification was signed outside the time window; sign it again and resend.",
    ),
    "BILL_NOT_FOUND": (404, "Kode billing tidak ditemukan.", "No bill has this billing code."),
    "PAYMENT_AMOUNT_MISMATCH": (
        422,
        "Jumlah pembayaran tidak sama dengan tagihan; tagihan dibayar penuh dan tepat.",
        "The amount differs from the bill; a bill is paid in full, exactly.",
    ),
    "PAYMENT_TRANSACTION_CONFLICT": (
        409,
        "ID transaksi ini sudah dipakai untuk tagihan atau jumlah lain.",
        "This transaction id was already used for another bill or amount.",
    ),
    "SERVICE_HAS_NO_FEE": (
        409,
        "Layanan ini tidak dibayar sebelum kedatangan.",
        "This service is not paid before the visit.",
    ),
    "ALREADY_REFUNDED": (409, "Pembayaran tagihan ini sudah dikembalikan.", "This bill was refunded already."),
    "BILL_NOT_PAID": (
        409,
        "Tagihan ini belum dibayar, jadi tidak ada yang dikembalikan.",
        "Nothing was paid on this bill, so there is nothing to refund.",
    ),
    # documents' internal upload endpoint without a valid, unused grant (only a broken gateway sees it)
    "UPLOAD_GRANT_INVALID": (
        403,
        "Izin unggah tidak berlaku. Silakan unggah berkas sekali lagi.",
        "The upload permission is not valid. Please upload the file again.",
    ),
    "DOWNLOAD_GRANT_INVALID": (
        403,
        "Izin unduh tidak berlaku. Silakan buka berkas sekali lagi.",
        "The download permission is not valid. Please open the file again.",
    ),
}


class GatewayError(Exception):
    """An error the gateway itself detects (bad token, bad body, …)."""

    def __init__(self, code, errors=None, headers=None, **params):
        super().__init__(code)
        self.code = code
        self.errors = errors
        self.headers = headers or {}
        self.params = params


def describe(exc):
    """``(code, errors, params, headers)`` for any exception reaching the edge."""
    if isinstance(exc, GatewayError):
        return exc.code, exc.errors, exc.params, exc.headers
    if isinstance(exc, RemoteError):
        doc = parse_remote(exc.value)
        if doc:
            return doc["code"], doc.get("errors"), doc.get("params") or {}, {}
        log.error("unexpected remote error", extra={"exc_type": exc.exc_type})
        return "INTERNAL", None, {}, {}
    code = getattr(exc, "code", None)
    if isinstance(code, str) and code in ERRORS:  # a local ServiceError (e.g. ServiceUnavailable)
        return code, getattr(exc, "errors", None), getattr(exc, "params", {}) or {}, {}
    log.exception("unhandled error at the gateway", exc_info=exc)
    return "INTERNAL", None, {}, {}


def problem(code, lang, errors=None, params=None):
    """The RFC 9457 body for ``code``; unknown codes are reported as INTERNAL (and logged)."""
    if code not in ERRORS:
        log.error("error code missing from the table", extra={"error_code": code})
        code = "INTERNAL"
    status, detail_id, detail_en = ERRORS[code]
    body = {
        "type": f"https://antre.imigrasi.go.id/problems/{code.lower().replace('_', '-')}",
        "title": code.replace("_", " ").capitalize(),
        "status": status,
        "code": code,
        "detail": detail_en if lang == "en" else detail_id,
    }
    if errors:
        body["errors"] = errors
    if params and status < 500:
        body.update({k: v for k, v in params.items() if k not in body})
    if status == 503 and params and params.get("service"):
        body["service"] = params["service"]  # which part is down: the web app names it to the person
    return status, body
