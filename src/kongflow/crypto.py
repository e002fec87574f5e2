"""Secrets at rest: the instance key, encryption of stored secrets, and key hashing.

The environment's secret API key must be recoverable (kongflow sends it to the user's
endpoint in ``x-trigger-api-key``), so it is stored encrypted with the instance key
and looked up by its SHA-256. A leaked database backup without the instance key
reveals neither. API keys carry ~119 random bits, so an unsalted hash is safe to index.
Passwords are different (people choose them): they get a salted scrypt hash.
"""

import base64
import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from kongflow.errors import ConfigurationError
from kongflow.settings import Settings

KEY_FILE_NAME = "instance.key"
DECRYPTED_CACHE_SIZE = 10_000
_ALNUM = string.ascii_letters + string.digits


def random_alnum(length: int) -> str:
    """Random string over ``[0-9a-zA-Z]``, the alphabet v2 used for key bodies."""
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def hash_api_key(key: str) -> str:
    """Lookup hash of an API key (hex SHA-256)."""
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class InstanceKey:
    """Symmetric key that encrypts secrets stored in the database.

    Decryptions are remembered (a ciphertext always decrypts to the same text): every
    call to an endpoint presents the environment's key, and Fernet's HMAC check and
    AES cost more than the rest of preparing an execution.
    """

    fernet: Fernet
    _decrypted: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_secret(cls, secret: str) -> "InstanceKey":
        """Derive the Fernet key from any operator-chosen secret string."""
        digest = hashlib.sha256(secret.encode()).digest()
        return cls(Fernet(base64.urlsafe_b64encode(digest)))

    @classmethod
    def load(cls, settings: Settings) -> "InstanceKey":
        """Use ``KONGFLOW_SECRET_KEY``, or with the embedded database the key file
        in the data directory (created on first use)."""
        if settings.secret_key:
            return cls.from_secret(settings.secret_key)
        if not settings.uses_embedded_database:
            raise ConfigurationError(
                "KONGFLOW_SECRET_KEY must be set when KONGFLOW_DATABASE_URL is set: every "
                "kongflow process on that database needs the same key to read stored secrets."
            )
        return cls.from_secret(_read_or_create_key_file(settings.data_dir / KEY_FILE_NAME))

    def encrypt(self, plaintext: str) -> str:
        return self.fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        known = self._decrypted.get(ciphertext)
        if known is not None:
            return known
        try:
            plaintext = self.fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise ConfigurationError(
                "A stored secret cannot be decrypted: this process runs with a different "
                "instance key (KONGFLOW_SECRET_KEY) than the one that wrote it."
            ) from exc
        if len(self._decrypted) >= DECRYPTED_CACHE_SIZE:
            self._decrypted.clear()
        self._decrypted[ciphertext] = plaintext
        return plaintext


def _read_or_create_key_file(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x") as handle:  # exclusive create: two starting processes agree
            handle.write(secrets.token_urlsafe(32))
        path.chmod(0o600)
    except FileExistsError:
        pass
    return path.read_text().strip()


def hash_password(password: str) -> str:
    """Salted scrypt hash, as ``scrypt$<salt hex>$<hash hex>``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Check ``password`` against a hash made by :func:`hash_password`."""
    scheme, salt_hex, digest_hex = stored.split("$")
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt_hex), n=2**14, r=8, p=1)
    return hmac.compare_digest(digest.hex(), digest_hex)
