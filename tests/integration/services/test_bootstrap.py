"""First-start bootstrap creates one usable tenancy, once, with keys the SDK accepts."""

import asyncio
import re

from sqlalchemy import func, select

from kongflow.crypto import InstanceKey, hash_api_key, verify_password
from kongflow.db.orm import Environment, Organization, OrgMember, Project, User
from kongflow.db.session import Database
from kongflow.instance import ensure_bootstrapped

SDK_KEY = re.compile(r"^tr_[a-z]+_[a-zA-Z0-9]+$")


async def test_creates_default_tenancy_with_sdk_compatible_keys(
    db: Database, instance_key: InstanceKey
) -> None:
    result = await ensure_bootstrapped(db, instance_key)
    assert result is not None

    async with db.transaction() as session:
        environments = (await session.scalars(select(Environment))).all()
        user = await session.scalar(select(User))
        assert await session.scalar(select(func.count()).select_from(Organization)) == 1
        assert await session.scalar(select(func.count()).select_from(Project)) == 1
        assert await session.scalar(select(func.count()).select_from(OrgMember)) == 1

    by_slug = {env.slug: env for env in environments}
    assert set(by_slug) == {"dev", "staging", "prod"}
    for slug, infix in (("dev", "dev"), ("staging", "stg"), ("prod", "prod")):
        env = by_slug[slug]
        secret = instance_key.decrypt(env.api_key_ciphertext)
        assert SDK_KEY.match(secret) and secret.startswith(f"tr_{infix}_")
        assert env.pk_api_key.startswith(f"pk_{infix}_")
        assert env.api_key_hash == hash_api_key(secret)
        assert secret not in env.api_key_ciphertext
    assert user is not None and user.admin
    assert verify_password(result.admin_password, user.password_hash)


async def test_second_start_changes_nothing(db: Database, instance_key: InstanceKey) -> None:
    assert await ensure_bootstrapped(db, instance_key) is not None
    assert await ensure_bootstrapped(db, instance_key) is None
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Environment)) == 3


async def test_concurrent_first_starts_create_one_tenancy(
    db: Database, instance_key: InstanceKey
) -> None:
    results = await asyncio.gather(*(ensure_bootstrapped(db, instance_key) for _ in range(5)))
    assert sum(result is not None for result in results) == 1
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Organization)) == 1
        assert await session.scalar(select(func.count()).select_from(Environment)) == 3


async def test_environment_shortcodes_are_distinct(db: Database, instance_key: InstanceKey) -> None:
    await ensure_bootstrapped(db, instance_key)
    async with db.transaction() as session:
        codes = list(await session.scalars(select(Environment.shortcode)))
    assert len(set(codes)) == 3
    assert all(len(code.split("-")) == 2 for code in codes)
