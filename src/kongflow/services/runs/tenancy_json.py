"""Where a run belongs, and for whom it runs, as the SDK's ``ctx`` and run
notifications describe it."""

from typing import Any

from kongflow.db.orm import Environment, ExternalAccount, Organization, Project


def tenancy_json(
    environment: Environment, organization: Organization, project: Project
) -> dict[str, Any]:
    """``{environment, organization, project}`` in their wire shapes."""
    return {
        "environment": {
            "id": environment.id,
            "slug": environment.slug,
            "type": environment.type.value,
        },
        "organization": {
            "id": organization.id,
            "slug": organization.slug,
            "title": organization.title,
        },
        "project": {"id": project.id, "slug": project.slug, "name": project.name},
    }


def account_json(account: ExternalAccount) -> dict[str, Any]:
    """The external account a run is for: ``{id, metadata}`` (the caller's identifier)."""
    return {"id": account.identifier, "metadata": account.metadata_}
