"""Development keys, made once under ``var/keys`` (production keys come from the environment only)."""

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from antre_common.sealed_box import new_pair


def dev_keys(directory):
    """``{JWT_PRIVATE_KEY, JWT_PUBLIC_KEY, DATA_KEYS, DOCUMENTS_KEYS, LOOKUP_KEY, CHECK_CODE_KEY, MESSAGE_KEYS,
    PAYMENT_CHANNEL_SECRETS, OTP_PUBLIC_KEY, OTP_PRIVATE_KEYS}``
    for a development stack, stable across restarts."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    private_path, public_path, data_path = (
        directory / "jwt_ed25519.pem",
        directory / "jwt_ed25519.pub.pem",
        directory / "data_key",
    )
    lookup_path = directory / "lookup_key"
    # notification's X25519 key for one-time codes: identity seals them with the public half and cannot open them
    otp_private_path, otp_public_path = directory / "otp_x25519", directory / "otp_x25519.pub"
    documents_path = directory / "documents_key"  # documents encrypts files with its own key, not identity's
    # notification's own: the HMAC key of check-code lookups and the ring that seals codes and inbox lines
    check_code_path, message_path = directory / "check_code_key", directory / "message_key"
    if not private_path.exists():
        key = Ed25519PrivateKey.generate()
        private_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        public_path.write_bytes(
            key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        os.chmod(private_path, 0o600)
    if not data_path.exists():
        data_path.write_text("k1:" + base64.urlsafe_b64encode(os.urandom(32)).decode())
        os.chmod(data_path, 0o600)
    if not documents_path.exists():
        documents_path.write_text("d1:" + base64.urlsafe_b64encode(os.urandom(32)).decode())
        os.chmod(documents_path, 0o600)
    if not message_path.exists():
        message_path.write_text("m1:" + base64.urlsafe_b64encode(os.urandom(32)).decode())
        os.chmod(message_path, 0o600)
    if not check_code_path.exists():
        check_code_path.write_text(base64.urlsafe_b64encode(os.urandom(32)).decode())
        os.chmod(check_code_path, 0o600)
    channel_path = directory / "payment_channel_key"  # the development bank's HMAC key (payment verifies it)
    if not channel_path.exists():
        channel_path.write_text("bank1:" + base64.urlsafe_b64encode(os.urandom(32)).decode())
        os.chmod(channel_path, 0o600)
    if not otp_private_path.exists():
        private_spec, public_spec = new_pair("o1")
        otp_private_path.write_text(private_spec)
        otp_public_path.write_text(public_spec)
        os.chmod(otp_private_path, 0o600)
    if not lookup_path.exists():
        lookup_path.write_text(base64.urlsafe_b64encode(os.urandom(32)).decode())
        os.chmod(lookup_path, 0o600)
    return {
        "JWT_PRIVATE_KEY": private_path.read_text(),
        "JWT_PUBLIC_KEY": public_path.read_text(),
        "DATA_KEYS": data_path.read_text().strip(),
        "DOCUMENTS_KEYS": documents_path.read_text().strip(),
        "LOOKUP_KEY": lookup_path.read_text().strip(),
        "CHECK_CODE_KEY": check_code_path.read_text().strip(),
        "MESSAGE_KEYS": message_path.read_text().strip(),
        "PAYMENT_CHANNEL_SECRETS": channel_path.read_text().strip(),
        "OTP_PUBLIC_KEY": otp_public_path.read_text().strip(),
        "OTP_PRIVATE_KEYS": otp_private_path.read_text().strip(),
    }
