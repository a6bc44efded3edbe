"""Authenticated encryption of personal data at rest, with key ids so keys can rotate.

Stored form: ``enc1:<key id>:<base64url(nonce || ciphertext+tag)>``. AES-256-GCM from the
``cryptography`` package; the associated data binds a ciphertext to its column (``app.Model.field``),
so a value copied into another column fails to decrypt. The first key of the ring encrypts; every key
of the ring decrypts, so a new key goes first and old rows are re-encrypted by
``bastion rotate_field_keys`` (docs/decisions/0021-field-encryption.md).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "enc1"


class DecryptionError(Exception):
    """A stored value could not be authenticated with any key of the ring."""


@dataclass(frozen=True)
class KeyRing:
    """Ordered keys: the first encrypts, all decrypt."""

    keys: tuple[tuple[str, bytes], ...]

    @property
    def primary(self) -> tuple[str, bytes]:
        return self.keys[0]

    def key(self, key_id: str) -> bytes:
        for kid, key in self.keys:
            if kid == key_id:
                return key
        raise DecryptionError(f"unknown key id {key_id!r}")

    @classmethod
    def parse(cls, spec: str) -> KeyRing:
        """Parse ``kid:base64key,kid:base64key``; each key must be 32 bytes."""
        keys = []
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            kid, sep, encoded = part.partition(":")
            if not sep or not kid.isalnum():
                raise ImproperlyConfigured("BASTION_FIELD_KEYS entries look like 'k1:<base64 32-byte key>'")
            key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            if len(key) != 32:
                raise ImproperlyConfigured(f"BASTION_FIELD_KEYS key {kid!r} must be 32 bytes")
            keys.append((kid, key))
        if not keys:
            raise ImproperlyConfigured("BASTION_FIELD_KEYS holds no key")
        return cls(tuple(keys))


@lru_cache(maxsize=4)
def _ring_for(spec: str) -> KeyRing:
    return KeyRing.parse(spec)


def key_ring() -> KeyRing:
    spec = settings.BASTION_FIELD_KEYS
    if not spec:
        from bastion.platform.home import embedded_field_keys

        spec = embedded_field_keys(settings.BASTION_HOME)
    return _ring_for(spec)


def encrypt(plaintext: str, *, context: str, ring: KeyRing | None = None) -> str:
    kid, key = (ring or key_ring()).primary
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
    return f"{PREFIX}:{kid}:{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"


def decrypt(token: str, *, context: str, ring: KeyRing | None = None) -> str:
    try:
        prefix, kid, payload = token.split(":", 2)
    except ValueError as exc:
        raise DecryptionError("not an encrypted value") from exc
    if prefix != PREFIX:
        raise DecryptionError("not an encrypted value")
    try:
        raw = base64.urlsafe_b64decode(payload.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise DecryptionError("value is not valid base64 (tampered)") from exc
    if len(raw) < 12 + 16:
        raise DecryptionError("value is too short to be a ciphertext (tampered)")
    try:
        clear = AESGCM((ring or key_ring()).key(kid)).decrypt(raw[:12], raw[12:], context.encode("utf-8"))
    except InvalidTag as exc:
        raise DecryptionError("value failed authentication (tampered, or wrong key/column)") from exc
    return clear.decode("utf-8")


def key_id_of(token: str) -> str:
    """The id of the key a stored value was sealed with (``DecryptionError`` if it is not sealed)."""
    parts = token.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise DecryptionError("not an encrypted value")
    return parts[1]


def blind_index(value: str, *, context: str) -> str:
    """A keyed hash for exact-match lookups of an encrypted value without decrypting every row.

    Keyed by the ring's *last* key (the anchor), not the primary: rotating in a new primary key must
    not change every stored index. Retiring the anchor means recomputing the indexes first.
    """
    _, key = key_ring().keys[-1]
    derived = hmac.new(key, b"blind-index:" + context.encode("utf-8"), hashlib.sha256).digest()
    return hmac.new(derived, value.strip().encode("utf-8"), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text column stored encrypted; reads decrypt transparently, lookups other than isnull fail."""

    def contribute_to_class(self, cls: type[models.Model], name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only)
        self.crypto_context = f"{cls._meta.label}.{name}"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value, context=self.crypto_context)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value), context=self.crypto_context)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name not in {"isnull", "exact"}:
            raise TypeError(f"encrypted field {self.name!r} supports no {lookup_name!r} lookup")
        return super().get_lookup(lookup_name)
