"""Secrets at rest: encryption round trip, key hashing, passwords, instance key file."""

from pathlib import Path

import pytest

from kongflow.crypto import (
    InstanceKey,
    hash_api_key,
    hash_password,
    random_alnum,
    verify_password,
)
from kongflow.errors import ConfigurationError
from kongflow.settings import Settings


def test_encrypted_key_round_trips_and_is_not_plain_text() -> None:
    key = InstanceKey.from_secret("s3cret")
    ciphertext = key.encrypt("tr_dev_abc123")
    assert "tr_dev_abc123" not in ciphertext
    assert key.decrypt(ciphertext) == "tr_dev_abc123"


def test_another_instance_key_cannot_decrypt() -> None:
    ciphertext = InstanceKey.from_secret("one").encrypt("tr_dev_abc123")
    with pytest.raises(ConfigurationError, match="different instance key"):
        InstanceKey.from_secret("two").decrypt(ciphertext)


def test_api_key_hash_is_stable_and_distinct() -> None:
    assert hash_api_key("tr_dev_a") == hash_api_key("tr_dev_a")
    assert hash_api_key("tr_dev_a") != hash_api_key("tr_dev_b")


def test_password_hash_verifies_only_the_right_password() -> None:
    stored = hash_password("correct horse")
    assert verify_password("correct horse", stored)
    assert not verify_password("wrong horse", stored)
    assert hash_password("correct horse") != stored  # salted


def test_random_alnum_uses_the_sdk_alphabet() -> None:
    value = random_alnum(200)
    assert len(value) == 200 and value.isalnum() and value.isascii()


def test_embedded_instance_key_is_generated_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = InstanceKey.load(settings)
    second = InstanceKey.load(settings)
    assert second.decrypt(first.encrypt("x")) == "x"
    assert (tmp_path / "instance.key").stat().st_mode & 0o777 == 0o600


def test_external_database_requires_an_explicit_key(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url="postgresql://localhost/db")
    with pytest.raises(ConfigurationError, match="KONGFLOW_SECRET_KEY"):
        InstanceKey.load(settings)
