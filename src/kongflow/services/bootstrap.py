"""First-start bootstrap: the default organization, project, environments and admin.

A new instance must be usable at once: the SDK needs an API key of the right shape
(``tr_<env>_<alnum>``) and the dashboard needs a login. This runs on every start and
does nothing once an organization exists; an advisory lock makes two processes
starting together agree on one bootstrap.
"""

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.crypto import InstanceKey, hash_api_key, hash_password, random_alnum
from kongflow.db.orm import Environment, Organization, OrgMember, Project, User
from kongflow.domain.enums import EnvironmentType, OrgMemberRole

_BOOTSTRAP_LOCK = 0x6B6F6E67  # "kong": advisory-lock key for the bootstrap

ADMIN_EMAIL = "admin@kongflow.local"

# (slug, type, key infix): the infix is what the SDK and v2 put in the key.
DEFAULT_ENVIRONMENTS = (
    ("dev", EnvironmentType.DEVELOPMENT, "dev"),
    ("staging", EnvironmentType.STAGING, "stg"),
    ("prod", EnvironmentType.PRODUCTION, "prod"),
)

_SHORTCODE_WORDS = (
    "amber", "birch", "cedar", "delta", "ember", "fjord", "grove", "harbor", "iris",
    "juniper", "kestrel", "lumen", "maple", "nectar", "onyx", "pebble", "quartz",
    "river", "sage", "tundra", "umber", "violet", "willow", "yarrow", "zephyr",
)  # fmt: skip


@dataclass(frozen=True)
class BootstrapResult:
    """What a first start created; the password is shown once and never stored."""

    admin_email: str
    admin_password: str


def new_api_keys(key_infix: str) -> tuple[str, str]:
    """A fresh (secret, public) key pair in the v2 format."""
    return f"tr_{key_infix}_{random_alnum(20)}", f"pk_{key_infix}_{random_alnum(20)}"


def _shortcodes(count: int) -> list[str]:
    """``count`` distinct two-word codes (unique per project, as the schema requires)."""
    pairs = [f"{a}-{b}" for a in _SHORTCODE_WORDS for b in _SHORTCODE_WORDS]
    return secrets.SystemRandom().sample(pairs, count)


async def bootstrap_instance(session: AsyncSession, key: InstanceKey) -> BootstrapResult | None:
    """Create the default tenancy if the database has no organization yet."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _BOOTSTRAP_LOCK})
    if await session.scalar(select(func.count()).select_from(Organization)):
        return None

    organization = Organization(slug="default", title="Default")
    project = Project(slug="default", name="Default", organization=organization)
    session.add_all([organization, project])
    shortcodes = _shortcodes(len(DEFAULT_ENVIRONMENTS))
    for (slug, env_type, infix), shortcode in zip(DEFAULT_ENVIRONMENTS, shortcodes, strict=True):
        secret_key, public_key = new_api_keys(infix)
        session.add(
            Environment(
                slug=slug,
                type=env_type,
                api_key_hash=hash_api_key(secret_key),
                api_key_ciphertext=key.encrypt(secret_key),
                pk_api_key=public_key,
                shortcode=shortcode,
                auto_enable_internal_sources=env_type is not EnvironmentType.DEVELOPMENT,
                organization=organization,
                project=project,
            )
        )
    password = random_alnum(20)
    admin = User(email=ADMIN_EMAIL, name="Admin", password_hash=hash_password(password), admin=True)
    session.add_all(
        [admin, OrgMember(organization=organization, user=admin, role=OrgMemberRole.ADMIN)]
    )
    await session.flush()
    return BootstrapResult(admin_email=ADMIN_EMAIL, admin_password=password)
