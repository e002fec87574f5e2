"""Initial schema: the whole v2 data model, plus procrastinate's job tables.

procrastinate's schema comes from the installed library (pinned in pyproject.toml),
so the queue tables always match the code that reads them. Upgrading procrastinate
means adding a revision that applies its migration files for the new version.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 21:09:41.861578
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from procrastinate.schema import SchemaManager
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


ENUM_TYPES = (
    "run_status", "task_status", "task_attempt_status", "task_child_execution_mode",
    "job_start_position", "job_version_status", "run_subscription_recipient_method",
    "run_subscription_status", "run_subscription_event", "payload_type", "environment_type",
    "endpoint_index_source", "endpoint_index_status", "dynamic_trigger_type", "trigger_channel",
    "integration_auth_source", "integration_setup_status", "connection_type",
    "secret_store_provider", "org_member_role",
)  # fmt: skip

# Drops every object procrastinate's schema created (they all share the prefix).
DROP_PROCRASTINATE = """
DO $$
DECLARE item record;
BEGIN
    FOR item IN SELECT tablename FROM pg_tables
                WHERE schemaname = current_schema() AND tablename LIKE 'procrastinate_%' LOOP
        EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', item.tablename);
    END LOOP;
    FOR item IN SELECT p.oid::regprocedure AS signature, p.prokind FROM pg_proc p
                JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate_%' LOOP
        IF item.prokind = 'p' THEN
            EXECUTE format('DROP PROCEDURE IF EXISTS %s CASCADE', item.signature);
        ELSE
            EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', item.signature);
        END IF;
    END LOOP;
    FOR item IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate_%'
                  AND t.typtype IN ('e', 'c') LOOP
        EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', item.typname);
    END LOOP;
END $$;
"""


def _run_script(sql: str) -> None:
    """Run a multi-statement script as is (no bind-parameter parsing of ``%``)."""
    cursor = op.get_bind().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
    finally:
        cursor.close()


def upgrade() -> None:
    _run_script(SchemaManager.get_schema())
    op.create_table(
        "integration_definitions",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("instructions", sa.String(), nullable=True),
        sa.Column("description", sa.String(), nullable=True),
        sa.Column("icon", sa.String(), nullable=True),
        sa.Column("package_name", sa.String(), server_default="", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_definitions")),
    )
    op.create_table(
        "job_counters",
        sa.Column("job_id", sa.String(), nullable=False),
        sa.Column("last_number", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_job_counters")),
    )
    op.create_table(
        "organizations",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("slug", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column(
            "maximum_execution_time_per_run_in_ms",
            sa.Integer(),
            server_default=sa.text("900000"),
            nullable=False,
        ),
        sa.Column(
            "maximum_concurrency_limit", sa.Integer(), server_default=sa.text("10"), nullable=False
        ),
        sa.Column("company_size", sa.String(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("slug", name=op.f("uq_organizations_slug")),
    )
    op.create_table(
        "secret_references",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column(
            "provider",
            sa.Enum("DATABASE", "AWS_PARAM_STORE", name="secret_store_provider"),
            server_default="DATABASE",
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_secret_references")),
        sa.UniqueConstraint("key", name=op.f("uq_secret_references_key")),
    )
    op.create_table(
        "secret_stores",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column(
            "value", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=False
        ),
        sa.Column("version", sa.String(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_secret_stores")),
        sa.UniqueConstraint("key", name=op.f("uq_secret_stores_key")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.Column("admin", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "webhook_delivery_counters",
        sa.Column("webhook_id", sa.String(), nullable=False),
        sa.Column("last_number", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("webhook_id", name=op.f("pk_webhook_delivery_counters")),
    )
    op.create_table(
        "integration_auth_methods",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column(
            "client", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column(
            "config", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column(
            "scopes", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column(
            "help", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column("definition_id", sa.String(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["integration_definitions.id"],
            name=op.f("fk_integration_auth_methods_definition_id_integration_definitions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_auth_methods")),
        sa.UniqueConstraint(
            "definition_id", "key", name=op.f("uq_integration_auth_methods_definition_id_key")
        ),
    )
    op.create_table(
        "org_members",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("organization_id", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column(
            "role",
            sa.Enum("ADMIN", "MEMBER", name="org_member_role"),
            server_default="MEMBER",
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_org_members_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_org_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_members")),
        sa.UniqueConstraint(
            "organization_id", "user_id", name=op.f("uq_org_members_organization_id_user_id")
        ),
    )
    op.create_index(op.f("ix_org_members_user_id"), "org_members", ["user_id"], unique=False)
    op.create_table(
        "projects",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("slug", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("organization_id", sa.String(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_projects_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("slug", name=op.f("uq_projects_slug")),
    )
    op.create_index(
        op.f("ix_projects_organization_id"), "projects", ["organization_id"], unique=False
    )
    op.create_table(
        "environments",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("slug", sa.String(), nullable=False),
        sa.Column("api_key_hash", sa.String(), nullable=False),
        sa.Column("api_key_ciphertext", sa.String(), nullable=False),
        sa.Column("pk_api_key", sa.String(), nullable=False),
        sa.Column(
            "type",
            sa.Enum("PRODUCTION", "STAGING", "DEVELOPMENT", "PREVIEW", name="environment_type"),
            server_default="DEVELOPMENT",
            nullable=False,
        ),
        sa.Column("shortcode", sa.String(), nullable=False),
        sa.Column(
            "auto_enable_internal_sources",
            sa.Boolean(),
            server_default=sa.text("true"),
            nullable=False,
        ),
        sa.Column("organization_id", sa.String(), nullable=False),
        sa.Column("project_id", sa.String(), nullable=False),
        sa.Column("org_member_id", sa.String(), nullable=True),
        sa.Column("tunnel_id", sa.String(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["org_member_id"],
            ["org_members.id"],
            name=op.f("fk_environments_org_member_id_org_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_environments_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_environments_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_environments")),
        sa.UniqueConstraint("api_key_hash", name=op.f("uq_environments_api_key_hash")),
        sa.UniqueConstraint("pk_api_key", name=op.f("uq_environments_pk_api_key")),
        sa.UniqueConstraint(
            "project_id", "shortcode", name=op.f("uq_environments_project_id_shortcode")
        ),
        sa.UniqueConstraint("project_id", "slug", name=op.f("uq_environments_project_id_slug")),
    )
    op.create_index(
        op.f("ix_environments_org_member_id"), "environments", ["org_member_id"], unique=False
    )
    op.create_index(
        op.f("ix_environments_organization_id"), "environments", ["organization_id"], unique=False
    )
    op.create_table(
        "integrations",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("slug", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("description", sa.String(), nullable=True),
        sa.Column(
            "setup_status",
            sa.Enum("MISSING_FIELDS", "COMPLETE", name="integration_setup_status"),
            server_default="COMPLETE",
            nullable=False,
        ),
        sa.Column(
            "auth_source",
            sa.Enum("HOSTED", "LOCAL", "RESOLVER", name="integration_auth_source"),
            server_default="HOSTED",
            nullable=False,
        ),
        sa.Column("definition_id", sa.String(), nullable=False),
        sa.Column("auth_method_id", sa.String(), nullable=True),
        sa.Column(
            "connection_type",
            sa.Enum("EXTERNAL", "DEVELOPER", name="connection_type"),
            server_default="DEVELOPER",
            nullable=False,
        ),
        sa.Column(
            "scopes", postgresql.ARRAY(sa.String()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("custom_client_reference_id", sa.String(), nullable=True),
        sa.Column("organization_id", sa.String(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["auth_method_id"],
            ["integration_auth_methods.id"],
            name=op.f("fk_integrations_auth_method_id_integration_auth_methods"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["custom_client_reference_id"],
            ["secret_references.id"],
            name=op.f("fk_integrations_custom_client_reference_id_secret_references"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["integration_definitions.id"],
            name=op.f("fk_integrations_definition_id_integration_definitions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_integrations_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrations")),
        sa.UniqueConstraint(
            "organization_id", "slug", name=op.f("uq_integrations_organization_id_slug")
        ),
    )
    op.create_index(
        op.f("ix_integrations_auth_method_id"), "integrations", ["auth_method_id"], unique=False
    )
    op.create_index(
        op.f("ix_integrations_custom_client_reference_id"),
        "integrations",
        ["custom_client_reference_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_integrations_definition_id"), "integrations", ["definition_id"], unique=False
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("slug", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("internal", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("organization_id", sa.String(), nullable=False),
        sa.Column("project_id", sa.String(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_jobs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_jobs_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("project_id", "slug", name=op.f("uq_jobs_project_id_slug")),
    )
    op.create_index(op.f("ix_jobs_organization_id"), "jobs", ["organization_id"], unique=False)
    op.create_table(
        "trigger_http_endpoints",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("icon", sa.String(), nullable=True),
        sa.Column(
            "properties", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column("secret_reference_id", sa.String(), nullable=False),
        sa.Column("project_id", sa.String(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_trigger_http_endpoints_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["secret_reference_id"],
            ["secret_references.id"],
            name=op.f("fk_trigger_http_endpoints_secret_reference_id_secret_references"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trigger_http_endpoints")),
        sa.UniqueConstraint(
            "key", "project_id", name=op.f("uq_trigger_http_endpoints_key_project_id")
        ),
    )
    op.create_index(
        op.f("ix_trigger_http_endpoints_project_id"),
        "trigger_http_endpoints",
        ["project_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_trigger_http_endpoints_secret_reference_id"),
        "trigger_http_endpoints",
        ["secret_reference_id"],
        unique=False,
    )
    op.create_table(
        "concurrency_limit_groups",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("concurrency_limit", sa.Integer(), nullable=False),
        sa.Column("environment_id", sa.String(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
            name=op.f("fk_concurrency_limit_groups_environment_id_environments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concurrency_limit_groups")),
        sa.UniqueConstraint(
            "environment_id", "name", name=op.f("uq_concurrency_limit_groups_environment_id_name")
        ),
    )
    op.create_table(
        "connection_attempts",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("security_code", sa.String(), nullable=True),
        sa.Column("redirect_to", sa.String(), server_default="/", nullable=False),
        sa.Column("integration_id", sa.String(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_connection_attempts_integration_id_integrations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connection_attempts")),
    )
    op.create_index(
        op.f("ix_connection_attempts_integration_id"),
        "connection_attempts",
        ["integration_id"],
        unique=False,
    )
    op.create_table(
        "endpoints",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("slug", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("environment_id", sa.String(), nullable=False),
        sa.Column("organization_id", sa.String(), nullable=False),
        sa.Column("project_id", sa.String(), nullable=False),
        sa.Column("indexing_hook_identifier", sa.String(), nullable=True),
        sa.Column("version", sa.String(), server_default="unknown", nullable=False),
        sa.Column("sdk_version", sa.String(), server_default="unknown", nullable=False),
        sa.Column(
            "run_chunk_execution_limit",
            sa.Integer(),
            server_default=sa.text("60000"),
            nullable=False,
        ),
        sa.Column(
            "start_task_threshold", sa.Integer(), server_default=sa.text("750"), nullable=False
        ),
        sa.Column(
            "before_execute_task_threshold",
            sa.Integer(),
            server_default=sa.text("1500"),
            nullable=False,
        ),
        sa.Column(
            "before_complete_task_threshold",
            sa.Integer(),
            server_default=sa.text("750"),
            nullable=False,
        ),
        sa.Column(
            "after_complete_task_threshold",
            sa.Integer(),
            server_default=sa.text("750"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
            name=op.f("fk_endpoints_environment_id_environments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_endpoints_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_endpoints_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_endpoints")),
        sa.UniqueConstraint(
            "environment_id", "slug", name=op.f("uq_endpoints_environment_id_slug")
        ),
    )
    op.create_index(
        op.f("ix_endpoints_organization_id"), "endpoints", ["organization_id"], unique=False
    )
    op.create_index(op.f("ix_endpoints_project_id"), "endpoints", ["project_id"], unique=False)
    op.create_table(
        "external_accounts",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("identifier", sa.String(), nullable=False),
        sa.Column(
            "metadata", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column("organization_id", sa.String(), nullable=False),
        sa.Column("environment_id", sa.String(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
            name=op.f("fk_external_accounts_environment_id_environments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_external_accounts_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_accounts")),
        sa.UniqueConstraint(
            "environment_id",
            "identifier",
            name=op.f("uq_external_accounts_environment_id_identifier"),
        ),
    )
    op.create_index(
        op.f("ix_external_accounts_organization_id"),
        "external_accounts",
        ["organization_id"],
        unique=False,
    )
    op.create_table(
        "job_queues",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("environment_id", sa.String(), nullable=False),
        sa.Column("job_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("max_jobs", sa.Integer(), server_default=sa.text("100"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
            name=op.f("fk_job_queues_environment_id_environments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_queues")),
        sa.UniqueConstraint(
            "environment_id", "name", name=op.f("uq_job_queues_environment_id_name")
        ),
    )
    op.create_table(
        "key_value_items",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("environment_id", sa.String(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
            name=op.f("fk_key_value_items_environment_id_environments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_value_items")),
        sa.UniqueConstraint(
            "environment_id", "key", name=op.f("uq_key_value_items_environment_id_key")
        ),
    )
    op.create_index(
        "ix_key_value_items_key", "key_value_items", ["key"], unique=False, postgresql_using="hash"
    )
    op.create_table(
        "webhooks",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column(
            "params", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column("http_endpoint_id", sa.String(), nullable=False),
        sa.Column("project_id", sa.String(), nullable=False),
        sa.Column("integration_id", sa.String(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["http_endpoint_id"],
            ["trigger_http_endpoints.id"],
            name=op.f("fk_webhooks_http_endpoint_id_trigger_http_endpoints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_webhooks_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_webhooks_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
        sa.UniqueConstraint("http_endpoint_id", name=op.f("uq_webhooks_http_endpoint_id")),
        sa.UniqueConstraint("key", "project_id", name=op.f("uq_webhooks_key_project_id")),
    )
    op.create_index(
        op.f("ix_webhooks_integration_id"), "webhooks", ["integration_id"], unique=False
    )
    op.create_index(op.f("ix_webhooks_project_id"), "webhooks", ["project_id"], unique=False)
    op.create_table(
        "endpoint_indexes",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("endpoint_id", sa.String(), nullable=False),
        sa.Column(
            "source",
            sa.Enum("MANUAL", "API", "INTERNAL", "HOOK", name="endpoint_index_source"),
            server_default="MANUAL",
            nullable=False,
        ),
        sa.Column(
            "source_data", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("PENDING", "STARTED", "SUCCESS", "FAILURE", name="endpoint_index_status"),
            server_default="PENDING",
            nullable=False,
        ),
        sa.Column(
            "data", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column(
            "stats", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column(
            "error", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["endpoints.id"],
            name=op.f("fk_endpoint_indexes_endpoint_id_endpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_endpoint_indexes")),
    )
    op.create_index(
        "ix_endpoint_indexes_endpoint_created_at",
        "endpoint_indexes",
        ["endpoint_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "event_dispatchers",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("event", postgresql.ARRAY(sa.String()), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column(
            "payload_filter",
            postgresql.JSONB(none_as_null=True, astext_type=sa.Text()),
            nullable=True,
        ),
        sa.Column(
            "context_filter",
            postgresql.JSONB(none_as_null=True, astext_type=sa.Text()),
            nullable=True,
        ),
        sa.Column("manual", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("dispatchable_id", sa.String(), nullable=False),
        sa.Column(
            "dispatchable",
            postgresql.JSONB(none_as_null=True, astext_type=sa.Text()),
            nullable=False,
        ),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("environment_id", sa.String(), nullable=False),
        sa.Column("external_account_id", sa.String(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
            name=op.f("fk_event_dispatchers_environment_id_environments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["external_account_id"],
            ["external_accounts.id"],
            name=op.f("fk_event_dispatchers_external_account_id_external_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_dispatchers")),
        sa.UniqueConstraint(
            "dispatchable_id",
            "environment_id",
            name=op.f("uq_event_dispatchers_dispatchable_id_environment_id"),
        ),
    )
    op.create_index(
        "ix_event_dispatchers_environment_source_enabled_manual",
        "event_dispatchers",
        ["environment_id", "source", "enabled", "manual"],
        unique=False,
    )
    op.create_index(
        "ix_event_dispatchers_event",
        "event_dispatchers",
        ["event"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        op.f("ix_event_dispatchers_external_account_id"),
        "event_dispatchers",
        ["external_account_id"],
        unique=False,
    )
    op.create_table(
        "integration_connections",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column(
            "connection_type",
            sa.Enum("EXTERNAL", "DEVELOPER", name="connection_type"),
            server_default="DEVELOPER",
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "metadata", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=False
        ),
        sa.Column(
            "scopes", postgresql.ARRAY(sa.String()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("data_reference_id", sa.String(), nullable=False),
        sa.Column("integration_id", sa.String(), nullable=False),
        sa.Column("organization_id", sa.String(), nullable=False),
        sa.Column("external_account_id", sa.String(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["data_reference_id"],
            ["secret_references.id"],
            name=op.f("fk_integration_connections_data_reference_id_secret_references"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["external_account_id"],
            ["external_accounts.id"],
            name=op.f("fk_integration_connections_external_account_id_external_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_integration_connections_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_integration_connections_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_connections")),
    )
    op.create_index(
        op.f("ix_integration_connections_data_reference_id"),
        "integration_connections",
        ["data_reference_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_integration_connections_external_account_id"),
        "integration_connections",
        ["external_account_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_integration_connections_integration_id"),
        "integration_connections",
        ["integration_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_integration_connections_organization_id"),
        "integration_connections",
        ["organization_id"],
        unique=False,
    )
    op.create_table(
        "job_versions",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("version", sa.String(), nullable=False),
        sa.Column(
            "event_specification",
            postgresql.JSONB(none_as_null=True, astext_type=sa.Text()),
            nullable=False,
        ),
        sa.Column(
            "properties", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column("trigger_link", sa.String(), nullable=True),
        sa.Column(
            "trigger_help",
            postgresql.JSONB(none_as_null=True, astext_type=sa.Text()),
            nullable=True,
        ),
        sa.Column("job_id", sa.String(), nullable=False),
        sa.Column("endpoint_id", sa.String(), nullable=False),
        sa.Column("environment_id", sa.String(), nullable=False),
        sa.Column("organization_id", sa.String(), nullable=False),
        sa.Column("project_id", sa.String(), nullable=False),
        sa.Column("queue_id", sa.String(), nullable=True),
        sa.Column(
            "start_position",
            sa.Enum("INITIAL", "LATEST", name="job_start_position"),
            server_default="INITIAL",
            nullable=False,
        ),
        sa.Column("preprocess_runs", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("concurrency_limit", sa.Integer(), nullable=True),
        sa.Column("concurrency_limit_group_id", sa.String(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("ACTIVE", "DISABLED", name="job_version_status"),
            server_default="ACTIVE",
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["concurrency_limit_group_id"],
            ["concurrency_limit_groups.id"],
            name=op.f("fk_job_versions_concurrency_limit_group_id_concurrency_limit_groups"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["endpoints.id"],
            name=op.f("fk_job_versions_endpoint_id_endpoints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
            name=op.f("fk_job_versions_environment_id_environments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_job_versions_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_job_versions_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_job_versions_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"],
            ["job_queues.id"],
            name=op.f("fk_job_versions_queue_id_job_queues"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_versions")),
        sa.UniqueConstraint(
            "job_id",
            "version",
            "environment_id",
            name=op.f("uq_job_versions_job_id_version_environment_id"),
        ),
    )
    op.create_index(
        op.f("ix_job_versions_concurrency_limit_group_id"),
        "job_versions",
        ["concurrency_limit_group_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_job_versions_endpoint_id"), "job_versions", ["endpoint_id"], unique=False
    )
    op.create_index(
        op.f("ix_job_versions_environment_id"), "job_versions", ["environment_id"], unique=False
    )
    op.create_index(
        "ix_job_versions_job_environment_status",
        "job_versions",
        ["job_id", "environment_id", "status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_job_versions_organization_id"), "job_versions", ["organization_id"], unique=False
    )
    op.create_index(
        op.f("ix_job_versions_project_id"), "job_versions", ["project_id"], unique=False
    )
    op.create_index(op.f("ix_job_versions_queue_id"), "job_versions", ["queue_id"], unique=False)
    op.create_table(
        "missing_connections",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("resolved", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("integration_id", sa.String(), nullable=False),
        sa.Column(
            "connection_type",
            sa.Enum("EXTERNAL", "DEVELOPER", name="connection_type"),
            server_default="DEVELOPER",
            nullable=False,
        ),
        sa.Column("external_account_id", sa.String(), nullable=True),
        sa.Column("account_identifier", sa.String(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["external_account_id"],
            ["external_accounts.id"],
            name=op.f("fk_missing_connections_external_account_id_external_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_missing_connections_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missing_connections")),
        sa.UniqueConstraint(
            "integration_id",
            "connection_type",
            "account_identifier",
            name=op.f("uq_missing_connections_integration_id_connection_type_account_identifier"),
        ),
        sa.UniqueConstraint(
            "integration_id",
            "connection_type",
            "external_account_id",
            name=op.f("uq_missing_connections_integration_id_connection_type_external_account_id"),
        ),
    )
    op.create_index(
        op.f("ix_missing_connections_external_account_id"),
        "missing_connections",
        ["external_account_id"],
        unique=False,
    )
    op.create_table(
        "trigger_http_endpoint_environments",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "immediate_response_filter",
            postgresql.JSONB(none_as_null=True, astext_type=sa.Text()),
            nullable=True,
        ),
        sa.Column(
            "skip_triggering_runs", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("environment_id", sa.String(), nullable=False),
        sa.Column("endpoint_id", sa.String(), nullable=False),
        sa.Column("http_endpoint_id", sa.String(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["endpoints.id"],
            name=op.f("fk_trigger_http_endpoint_environments_endpoint_id_endpoints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
            name=op.f("fk_trigger_http_endpoint_environments_environment_id_environments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["http_endpoint_id"],
            ["trigger_http_endpoints.id"],
            name=op.f(
                "fk_trigger_http_endpoint_environments_http_endpoint_id_trigger_http_endpoints"
            ),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trigger_http_endpoint_environments")),
        sa.UniqueConstraint(
            "endpoint_id",
            "http_endpoint_id",
            name=op.f("uq_trigger_http_endpoint_environments_endpoint_id_http_endpoint_id"),
        ),
        sa.UniqueConstraint(
            "environment_id",
            "http_endpoint_id",
            name=op.f("uq_trigger_http_endpoint_environments_environment_id_http_endpoint_id"),
        ),
    )
    op.create_index(
        op.f("ix_trigger_http_endpoint_environments_http_endpoint_id"),
        "trigger_http_endpoint_environments",
        ["http_endpoint_id"],
        unique=False,
    )
    op.create_table(
        "webhook_environments",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "config", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column(
            "desired_config",
            postgresql.JSONB(none_as_null=True, astext_type=sa.Text()),
            nullable=True,
        ),
        sa.Column("endpoint_id", sa.String(), nullable=False),
        sa.Column("environment_id", sa.String(), nullable=False),
        sa.Column("webhook_id", sa.String(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["endpoints.id"],
            name=op.f("fk_webhook_environments_endpoint_id_endpoints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
            name=op.f("fk_webhook_environments_environment_id_environments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["webhooks.id"],
            name=op.f("fk_webhook_environments_webhook_id_webhooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_environments")),
        sa.UniqueConstraint(
            "environment_id",
            "webhook_id",
            name=op.f("uq_webhook_environments_environment_id_webhook_id"),
        ),
    )
    op.create_index(
        op.f("ix_webhook_environments_endpoint_id"),
        "webhook_environments",
        ["endpoint_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_webhook_environments_webhook_id"),
        "webhook_environments",
        ["webhook_id"],
        unique=False,
    )
    op.create_table(
        "dynamic_triggers",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column(
            "type",
            sa.Enum("EVENT", "SCHEDULE", name="dynamic_trigger_type"),
            server_default="EVENT",
            nullable=False,
        ),
        sa.Column("slug", sa.String(), nullable=False),
        sa.Column("endpoint_id", sa.String(), nullable=False),
        sa.Column("source_registration_job_id", sa.String(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["endpoints.id"],
            name=op.f("fk_dynamic_triggers_endpoint_id_endpoints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_registration_job_id"],
            ["job_versions.id"],
            name=op.f("fk_dynamic_triggers_source_registration_job_id_job_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dynamic_triggers")),
        sa.UniqueConstraint(
            "endpoint_id", "slug", "type", name=op.f("uq_dynamic_triggers_endpoint_id_slug_type")
        ),
    )
    op.create_index(
        op.f("ix_dynamic_triggers_source_registration_job_id"),
        "dynamic_triggers",
        ["source_registration_job_id"],
        unique=False,
    )
    op.create_table(
        "event_examples",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("slug", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("icon", sa.String(), nullable=True),
        sa.Column(
            "payload", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column("job_version_id", sa.String(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["job_version_id"],
            ["job_versions.id"],
            name=op.f("fk_event_examples_job_version_id_job_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_examples")),
        sa.UniqueConstraint(
            "slug", "job_version_id", name=op.f("uq_event_examples_slug_job_version_id")
        ),
    )
    op.create_index(
        op.f("ix_event_examples_job_version_id"), "event_examples", ["job_version_id"], unique=False
    )
    op.create_table(
        "event_records",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column(
            "timestamp", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column(
            "payload", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=False
        ),
        sa.Column(
            "payload_type",
            sa.Enum("JSON", "REQUEST", name="payload_type"),
            server_default="JSON",
            nullable=False,
        ),
        sa.Column(
            "context", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column(
            "source_context",
            postgresql.JSONB(none_as_null=True, astext_type=sa.Text()),
            nullable=True,
        ),
        sa.Column("source", sa.String(), server_default="trigger.dev", nullable=False),
        sa.Column("organization_id", sa.String(), nullable=False),
        sa.Column("environment_id", sa.String(), nullable=False),
        sa.Column("project_id", sa.String(), nullable=False),
        sa.Column("external_account_id", sa.String(), nullable=True),
        sa.Column("http_endpoint_id", sa.String(), nullable=True),
        sa.Column("http_endpoint_environment_id", sa.String(), nullable=True),
        sa.Column(
            "deliver_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_test", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("internal", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
            name=op.f("fk_event_records_environment_id_environments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["external_account_id"],
            ["external_accounts.id"],
            name=op.f("fk_event_records_external_account_id_external_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["http_endpoint_environment_id"],
            ["trigger_http_endpoint_environments.id"],
            name=op.f(
                "fk_event_records_http_endpoint_environment_id_trigger_http_endpoint_environments"
            ),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["http_endpoint_id"],
            ["trigger_http_endpoints.id"],
            name=op.f("fk_event_records_http_endpoint_id_trigger_http_endpoints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_event_records_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_event_records_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_records")),
        sa.UniqueConstraint(
            "event_id", "environment_id", name=op.f("uq_event_records_event_id_environment_id")
        ),
    )
    op.create_index(
        "ix_event_records_environment_created_at",
        "event_records",
        ["environment_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_event_records_external_account_id"),
        "event_records",
        ["external_account_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_event_records_http_endpoint_environment_id"),
        "event_records",
        ["http_endpoint_environment_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_event_records_http_endpoint_id"),
        "event_records",
        ["http_endpoint_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_event_records_organization_id"), "event_records", ["organization_id"], unique=False
    )
    op.create_index(
        op.f("ix_event_records_project_id"), "event_records", ["project_id"], unique=False
    )
    op.create_index(
        "ix_event_records_undelivered_deliver_at",
        "event_records",
        ["deliver_at"],
        unique=False,
        postgresql_where=sa.text("delivered_at IS NULL AND cancelled_at IS NULL"),
    )
    op.create_table(
        "job_aliases",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), server_default="latest", nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.Column("version_id", sa.String(), nullable=False),
        sa.Column("job_id", sa.String(), nullable=False),
        sa.Column("environment_id", sa.String(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
            name=op.f("fk_job_aliases_environment_id_environments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_job_aliases_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["job_versions.id"],
            name=op.f("fk_job_aliases_version_id_job_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_aliases")),
        sa.UniqueConstraint(
            "job_id",
            "environment_id",
            "name",
            name=op.f("uq_job_aliases_job_id_environment_id_name"),
        ),
    )
    op.create_index(
        op.f("ix_job_aliases_environment_id"), "job_aliases", ["environment_id"], unique=False
    )
    op.create_index(op.f("ix_job_aliases_version_id"), "job_aliases", ["version_id"], unique=False)
    op.create_table(
        "job_integrations",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("version_id", sa.String(), nullable=False),
        sa.Column("job_id", sa.String(), nullable=False),
        sa.Column("integration_id", sa.String(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_job_integrations_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["jobs.id"],
            name=op.f("fk_job_integrations_job_id_jobs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["job_versions.id"],
            name=op.f("fk_job_integrations_version_id_job_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_integrations")),
        sa.UniqueConstraint("version_id", "key", name=op.f("uq_job_integrations_version_id_key")),
    )
    op.create_index(
        op.f("ix_job_integrations_integration_id"),
        "job_integrations",
        ["integration_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_job_integrations_job_id"), "job_integrations", ["job_id"], unique=False
    )
    op.create_table(
        "webhook_request_deliveries",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column(
            "headers", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=False
        ),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("verified", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("webhook_id", sa.String(), nullable=False),
        sa.Column("environment_id", sa.String(), nullable=False),
        sa.Column("webhook_environment_id", sa.String(), nullable=False),
        sa.Column("endpoint_id", sa.String(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["endpoints.id"],
            name=op.f("fk_webhook_request_deliveries_endpoint_id_endpoints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
            name=op.f("fk_webhook_request_deliveries_environment_id_environments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["webhook_environment_id"],
            ["webhook_environments.id"],
            name=op.f("fk_webhook_request_deliveries_webhook_environment_id_webhook_environments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["webhooks.id"],
            name=op.f("fk_webhook_request_deliveries_webhook_id_webhooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_request_deliveries")),
    )
    op.create_index(
        op.f("ix_webhook_request_deliveries_endpoint_id"),
        "webhook_request_deliveries",
        ["endpoint_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_webhook_request_deliveries_environment_id"),
        "webhook_request_deliveries",
        ["environment_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_webhook_request_deliveries_webhook_environment_id"),
        "webhook_request_deliveries",
        ["webhook_environment_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_webhook_request_deliveries_webhook_id"),
        "webhook_request_deliveries",
        ["webhook_id"],
        unique=False,
    )
    op.create_table(
        "dynamic_trigger_jobs",
        sa.Column("dynamic_trigger_id", sa.String(), nullable=False),
        sa.Column("job_id", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dynamic_trigger_id"],
            ["dynamic_triggers.id"],
            name=op.f("fk_dynamic_trigger_jobs_dynamic_trigger_id_dynamic_triggers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["jobs.id"],
            name=op.f("fk_dynamic_trigger_jobs_job_id_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "dynamic_trigger_id", "job_id", name=op.f("pk_dynamic_trigger_jobs")
        ),
    )
    op.create_index(
        op.f("ix_dynamic_trigger_jobs_job_id"), "dynamic_trigger_jobs", ["job_id"], unique=False
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("internal", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("job_id", sa.String(), nullable=False),
        sa.Column("version_id", sa.String(), nullable=False),
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("organization_id", sa.String(), nullable=False),
        sa.Column("endpoint_id", sa.String(), nullable=False),
        sa.Column("environment_id", sa.String(), nullable=False),
        sa.Column("project_id", sa.String(), nullable=False),
        sa.Column("queue_id", sa.String(), nullable=True),
        sa.Column("external_account_id", sa.String(), nullable=True),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "properties", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "QUEUED",
                "WAITING_ON_CONNECTIONS",
                "PREPROCESSING",
                "STARTED",
                "EXECUTING",
                "WAITING_TO_CONTINUE",
                "WAITING_TO_EXECUTE",
                "SUCCESS",
                "FAILURE",
                "TIMED_OUT",
                "ABORTED",
                "CANCELED",
                "UNRESOLVED_AUTH",
                "INVALID_PAYLOAD",
                name="run_status",
            ),
            server_default="PENDING",
            nullable=False,
        ),
        sa.Column(
            "output", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column("timed_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("timed_out_reason", sa.String(), nullable=True),
        sa.Column("execution_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "execution_failure_count", sa.Integer(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("execution_duration", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("is_test", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("preprocess", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "yielded_executions",
            postgresql.ARRAY(sa.String()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "force_yield_immediately", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["endpoints.id"],
            name=op.f("fk_runs_endpoint_id_endpoints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
            name=op.f("fk_runs_environment_id_environments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event_records.id"],
            name=op.f("fk_runs_event_id_event_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["external_account_id"],
            ["external_accounts.id"],
            name=op.f("fk_runs_external_account_id_external_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_runs_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_runs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_runs_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"],
            ["job_queues.id"],
            name=op.f("fk_runs_queue_id_job_queues"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["job_versions.id"],
            name=op.f("fk_runs_version_id_job_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_index(op.f("ix_runs_endpoint_id"), "runs", ["endpoint_id"], unique=False)
    op.create_index(
        "ix_runs_environment_status", "runs", ["environment_id", "status"], unique=False
    )
    op.create_index(op.f("ix_runs_event_id"), "runs", ["event_id"], unique=False)
    op.create_index(
        op.f("ix_runs_external_account_id"), "runs", ["external_account_id"], unique=False
    )
    op.create_index(
        "ix_runs_job_environment_created_at",
        "runs",
        ["job_id", "environment_id", "created_at"],
        unique=False,
    )
    op.create_index(op.f("ix_runs_organization_id"), "runs", ["organization_id"], unique=False)
    op.create_index(op.f("ix_runs_project_id"), "runs", ["project_id"], unique=False)
    op.create_index(op.f("ix_runs_queue_id"), "runs", ["queue_id"], unique=False)
    op.create_index(op.f("ix_runs_version_id"), "runs", ["version_id"], unique=False)
    op.create_table(
        "schedule_sources",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column(
            "schedule", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=False
        ),
        sa.Column("environment_id", sa.String(), nullable=False),
        sa.Column("dispatcher_id", sa.String(), nullable=False),
        sa.Column("last_event_timestamp", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_event_timestamp", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker_job_id", sa.String(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "metadata", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column("dynamic_trigger_id", sa.String(), nullable=True),
        sa.Column("external_account_id", sa.String(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["dispatcher_id"],
            ["event_dispatchers.id"],
            name=op.f("fk_schedule_sources_dispatcher_id_event_dispatchers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dynamic_trigger_id"],
            ["dynamic_triggers.id"],
            name=op.f("fk_schedule_sources_dynamic_trigger_id_dynamic_triggers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
            name=op.f("fk_schedule_sources_environment_id_environments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["external_account_id"],
            ["external_accounts.id"],
            name=op.f("fk_schedule_sources_external_account_id_external_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_sources")),
        sa.UniqueConstraint(
            "key", "environment_id", name=op.f("uq_schedule_sources_key_environment_id")
        ),
    )
    op.create_index(
        "ix_schedule_sources_active_next_event_timestamp",
        "schedule_sources",
        ["next_event_timestamp"],
        unique=False,
        postgresql_where=sa.text("active"),
    )
    op.create_index(
        op.f("ix_schedule_sources_dispatcher_id"),
        "schedule_sources",
        ["dispatcher_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_schedule_sources_dynamic_trigger_id"),
        "schedule_sources",
        ["dynamic_trigger_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_schedule_sources_environment_id"),
        "schedule_sources",
        ["environment_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_schedule_sources_external_account_id"),
        "schedule_sources",
        ["external_account_id"],
        unique=False,
    )
    op.create_table(
        "trigger_sources",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column(
            "params", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column(
            "channel",
            sa.Enum("HTTP", "SQS", "SMTP", name="trigger_channel"),
            server_default="HTTP",
            nullable=False,
        ),
        sa.Column(
            "channel_data",
            postgresql.JSONB(none_as_null=True, astext_type=sa.Text()),
            nullable=True,
        ),
        sa.Column("version", sa.String(), server_default="1", nullable=False),
        sa.Column(
            "metadata", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column("secret_reference_id", sa.String(), nullable=False),
        sa.Column("organization_id", sa.String(), nullable=False),
        sa.Column("environment_id", sa.String(), nullable=False),
        sa.Column("endpoint_id", sa.String(), nullable=False),
        sa.Column("project_id", sa.String(), nullable=False),
        sa.Column("integration_id", sa.String(), nullable=False),
        sa.Column("dynamic_trigger_id", sa.String(), nullable=True),
        sa.Column("external_account_id", sa.String(), nullable=True),
        sa.Column("source_registration_job_id", sa.String(), nullable=True),
        sa.Column("dynamic_source_id", sa.String(), nullable=True),
        sa.Column(
            "dynamic_source_metadata",
            postgresql.JSONB(none_as_null=True, astext_type=sa.Text()),
            nullable=True,
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("interactive", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["dynamic_trigger_id"],
            ["dynamic_triggers.id"],
            name=op.f("fk_trigger_sources_dynamic_trigger_id_dynamic_triggers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["endpoints.id"],
            name=op.f("fk_trigger_sources_endpoint_id_endpoints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
            name=op.f("fk_trigger_sources_environment_id_environments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["external_account_id"],
            ["external_accounts.id"],
            name=op.f("fk_trigger_sources_external_account_id_external_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_trigger_sources_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_trigger_sources_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_trigger_sources_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["secret_reference_id"],
            ["secret_references.id"],
            name=op.f("fk_trigger_sources_secret_reference_id_secret_references"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_registration_job_id"],
            ["job_versions.id"],
            name=op.f("fk_trigger_sources_source_registration_job_id_job_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trigger_sources")),
        sa.UniqueConstraint(
            "key", "environment_id", name=op.f("uq_trigger_sources_key_environment_id")
        ),
    )
    op.create_index(
        op.f("ix_trigger_sources_dynamic_trigger_id"),
        "trigger_sources",
        ["dynamic_trigger_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_trigger_sources_endpoint_id"), "trigger_sources", ["endpoint_id"], unique=False
    )
    op.create_index(
        op.f("ix_trigger_sources_environment_id"),
        "trigger_sources",
        ["environment_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_trigger_sources_external_account_id"),
        "trigger_sources",
        ["external_account_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_trigger_sources_integration_id"),
        "trigger_sources",
        ["integration_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_trigger_sources_organization_id"),
        "trigger_sources",
        ["organization_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_trigger_sources_project_id"), "trigger_sources", ["project_id"], unique=False
    )
    op.create_index(
        op.f("ix_trigger_sources_secret_reference_id"),
        "trigger_sources",
        ["secret_reference_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_trigger_sources_source_registration_job_id"),
        "trigger_sources",
        ["source_registration_job_id"],
        unique=False,
    )
    op.create_table(
        "dynamic_trigger_registrations",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("dynamic_trigger_id", sa.String(), nullable=False),
        sa.Column("event_dispatcher_id", sa.String(), nullable=False),
        sa.Column("source_id", sa.String(), nullable=False),
        sa.Column(
            "metadata", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["dynamic_trigger_id"],
            ["dynamic_triggers.id"],
            name=op.f("fk_dynamic_trigger_registrations_dynamic_trigger_id_dynamic_triggers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_dispatcher_id"],
            ["event_dispatchers.id"],
            name=op.f("fk_dynamic_trigger_registrations_event_dispatcher_id_event_dispatchers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["trigger_sources.id"],
            name=op.f("fk_dynamic_trigger_registrations_source_id_trigger_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dynamic_trigger_registrations")),
        sa.UniqueConstraint(
            "key",
            "dynamic_trigger_id",
            name=op.f("uq_dynamic_trigger_registrations_key_dynamic_trigger_id"),
        ),
    )
    op.create_index(
        op.f("ix_dynamic_trigger_registrations_dynamic_trigger_id"),
        "dynamic_trigger_registrations",
        ["dynamic_trigger_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_dynamic_trigger_registrations_event_dispatcher_id"),
        "dynamic_trigger_registrations",
        ["event_dispatcher_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_dynamic_trigger_registrations_source_id"),
        "dynamic_trigger_registrations",
        ["source_id"],
        unique=False,
    )
    op.create_table(
        "http_source_request_deliveries",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column(
            "headers", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=False
        ),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("source_id", sa.String(), nullable=False),
        sa.Column("endpoint_id", sa.String(), nullable=False),
        sa.Column("environment_id", sa.String(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["endpoints.id"],
            name=op.f("fk_http_source_request_deliveries_endpoint_id_endpoints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
            name=op.f("fk_http_source_request_deliveries_environment_id_environments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["trigger_sources.id"],
            name=op.f("fk_http_source_request_deliveries_source_id_trigger_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_http_source_request_deliveries")),
    )
    op.create_index(
        op.f("ix_http_source_request_deliveries_endpoint_id"),
        "http_source_request_deliveries",
        ["endpoint_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_http_source_request_deliveries_environment_id"),
        "http_source_request_deliveries",
        ["environment_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_http_source_request_deliveries_source_id"),
        "http_source_request_deliveries",
        ["source_id"],
        unique=False,
    )
    op.create_table(
        "run_auto_yield_executions",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("time_remaining", sa.Integer(), nullable=False),
        sa.Column("time_elapsed", sa.Integer(), nullable=False),
        sa.Column("limit", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name=op.f("fk_run_auto_yield_executions_run_id_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_auto_yield_executions")),
    )
    op.create_index(
        op.f("ix_run_auto_yield_executions_run_id"),
        "run_auto_yield_executions",
        ["run_id"],
        unique=False,
    )
    op.create_table(
        "run_connections",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column(
            "auth_source",
            sa.Enum("HOSTED", "LOCAL", "RESOLVER", name="integration_auth_source"),
            server_default="HOSTED",
            nullable=False,
        ),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("connection_id", sa.String(), nullable=True),
        sa.Column("integration_id", sa.String(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["integration_connections.id"],
            name=op.f("fk_run_connections_connection_id_integration_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_run_connections_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_run_connections_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_connections")),
        sa.UniqueConstraint("run_id", "key", name=op.f("uq_run_connections_run_id_key")),
    )
    op.create_index(
        op.f("ix_run_connections_connection_id"), "run_connections", ["connection_id"], unique=False
    )
    op.create_index(
        op.f("ix_run_connections_integration_id"),
        "run_connections",
        ["integration_id"],
        unique=False,
    )
    op.create_table(
        "run_missing_connections",
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("missing_connection_id", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["missing_connection_id"],
            ["missing_connections.id"],
            name=op.f("fk_run_missing_connections_missing_connection_id_missing_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name=op.f("fk_run_missing_connections_run_id_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "run_id", "missing_connection_id", name=op.f("pk_run_missing_connections")
        ),
    )
    op.create_index(
        op.f("ix_run_missing_connections_missing_connection_id"),
        "run_missing_connections",
        ["missing_connection_id"],
        unique=False,
    )
    op.create_table(
        "run_status_records",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=True),
        sa.Column(
            "data", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column(
            "history", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name=op.f("fk_run_status_records_run_id_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_status_records")),
        sa.UniqueConstraint("run_id", "key", name=op.f("uq_run_status_records_run_id_key")),
    )
    op.create_table(
        "run_subscriptions",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("recipient", sa.String(), nullable=False),
        sa.Column(
            "recipient_method",
            sa.Enum("WEBHOOK", "ENDPOINT", name="run_subscription_recipient_method"),
            server_default="WEBHOOK",
            nullable=False,
        ),
        sa.Column(
            "event", sa.Enum("SUCCESS", "FAILURE", name="run_subscription_event"), nullable=False
        ),
        sa.Column(
            "status",
            sa.Enum("ACTIVE", "INACTIVE", name="run_subscription_status"),
            server_default="ACTIVE",
            nullable=False,
        ),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name=op.f("fk_run_subscriptions_run_id_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_subscriptions")),
        sa.UniqueConstraint(
            "run_id", "recipient", "event", name=op.f("uq_run_subscriptions_run_id_recipient_event")
        ),
    )
    op.create_table(
        "trigger_source_options",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.Column("source_id", sa.String(), nullable=False),
        sa.Column("registered", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["trigger_sources.id"],
            name=op.f("fk_trigger_source_options_source_id_trigger_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trigger_source_options")),
        sa.UniqueConstraint(
            "name",
            "value",
            "source_id",
            name=op.f("uq_trigger_source_options_name_value_source_id"),
        ),
    )
    op.create_index(
        op.f("ix_trigger_source_options_source_id"),
        "trigger_source_options",
        ["source_id"],
        unique=False,
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("idempotency_key", sa.String(), nullable=False),
        sa.Column("display_key", sa.String(), nullable=True),
        sa.Column("name", sa.String(), server_default="Task", nullable=False),
        sa.Column("icon", sa.String(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "WAITING",
                "RUNNING",
                "COMPLETED",
                "ERRORED",
                "CANCELED",
                name="task_status",
            ),
            server_default="PENDING",
            nullable=False,
        ),
        sa.Column("delay_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("noop", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("description", sa.String(), nullable=True),
        sa.Column(
            "properties", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column(
            "output_properties",
            postgresql.JSONB(none_as_null=True, astext_type=sa.Text()),
            nullable=True,
        ),
        sa.Column(
            "params", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column(
            "output", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column(
            "output_is_undefined", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column(
            "context", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column(
            "redact", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column(
            "style", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column("operation", sa.String(), nullable=True),
        sa.Column("callback_url", sa.String(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("parent_id", sa.String(), nullable=True),
        sa.Column("run_connection_id", sa.String(), nullable=True),
        sa.Column(
            "child_execution_mode",
            sa.Enum("SEQUENTIAL", "PARALLEL", name="task_child_execution_mode"),
            server_default="SEQUENTIAL",
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["tasks.id"], name=op.f("fk_tasks_parent_id_tasks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["run_connection_id"],
            ["run_connections.id"],
            name=op.f("fk_tasks_run_connection_id_run_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_tasks_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint(
            "run_id", "idempotency_key", name=op.f("uq_tasks_run_id_idempotency_key")
        ),
    )
    op.create_index(op.f("ix_tasks_parent_id"), "tasks", ["parent_id"], unique=False)
    op.create_index(
        op.f("ix_tasks_run_connection_id"), "tasks", ["run_connection_id"], unique=False
    )
    op.create_index("ix_tasks_run_status", "tasks", ["run_id", "status"], unique=False)
    op.create_table(
        "task_attempts",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("PENDING", "STARTED", "COMPLETED", "ERRORED", name="task_attempt_status"),
            server_default="PENDING",
            nullable=False,
        ),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_task_attempts_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_attempts")),
        sa.UniqueConstraint("task_id", "number", name=op.f("uq_task_attempts_task_id_number")),
    )


def downgrade() -> None:
    op.drop_table("task_attempts")
    op.drop_index("ix_tasks_run_status", table_name="tasks")
    op.drop_index(op.f("ix_tasks_run_connection_id"), table_name="tasks")
    op.drop_index(op.f("ix_tasks_parent_id"), table_name="tasks")
    op.drop_table("tasks")
    op.drop_index(op.f("ix_trigger_source_options_source_id"), table_name="trigger_source_options")
    op.drop_table("trigger_source_options")
    op.drop_table("run_subscriptions")
    op.drop_table("run_status_records")
    op.drop_index(
        op.f("ix_run_missing_connections_missing_connection_id"),
        table_name="run_missing_connections",
    )
    op.drop_table("run_missing_connections")
    op.drop_index(op.f("ix_run_connections_integration_id"), table_name="run_connections")
    op.drop_index(op.f("ix_run_connections_connection_id"), table_name="run_connections")
    op.drop_table("run_connections")
    op.drop_index(
        op.f("ix_run_auto_yield_executions_run_id"), table_name="run_auto_yield_executions"
    )
    op.drop_table("run_auto_yield_executions")
    op.drop_index(
        op.f("ix_http_source_request_deliveries_source_id"),
        table_name="http_source_request_deliveries",
    )
    op.drop_index(
        op.f("ix_http_source_request_deliveries_environment_id"),
        table_name="http_source_request_deliveries",
    )
    op.drop_index(
        op.f("ix_http_source_request_deliveries_endpoint_id"),
        table_name="http_source_request_deliveries",
    )
    op.drop_table("http_source_request_deliveries")
    op.drop_index(
        op.f("ix_dynamic_trigger_registrations_source_id"),
        table_name="dynamic_trigger_registrations",
    )
    op.drop_index(
        op.f("ix_dynamic_trigger_registrations_event_dispatcher_id"),
        table_name="dynamic_trigger_registrations",
    )
    op.drop_index(
        op.f("ix_dynamic_trigger_registrations_dynamic_trigger_id"),
        table_name="dynamic_trigger_registrations",
    )
    op.drop_table("dynamic_trigger_registrations")
    op.drop_index(
        op.f("ix_trigger_sources_source_registration_job_id"), table_name="trigger_sources"
    )
    op.drop_index(op.f("ix_trigger_sources_secret_reference_id"), table_name="trigger_sources")
    op.drop_index(op.f("ix_trigger_sources_project_id"), table_name="trigger_sources")
    op.drop_index(op.f("ix_trigger_sources_organization_id"), table_name="trigger_sources")
    op.drop_index(op.f("ix_trigger_sources_integration_id"), table_name="trigger_sources")
    op.drop_index(op.f("ix_trigger_sources_external_account_id"), table_name="trigger_sources")
    op.drop_index(op.f("ix_trigger_sources_environment_id"), table_name="trigger_sources")
    op.drop_index(op.f("ix_trigger_sources_endpoint_id"), table_name="trigger_sources")
    op.drop_index(op.f("ix_trigger_sources_dynamic_trigger_id"), table_name="trigger_sources")
    op.drop_table("trigger_sources")
    op.drop_index(op.f("ix_schedule_sources_external_account_id"), table_name="schedule_sources")
    op.drop_index(op.f("ix_schedule_sources_environment_id"), table_name="schedule_sources")
    op.drop_index(op.f("ix_schedule_sources_dynamic_trigger_id"), table_name="schedule_sources")
    op.drop_index(op.f("ix_schedule_sources_dispatcher_id"), table_name="schedule_sources")
    op.drop_index(
        "ix_schedule_sources_active_next_event_timestamp",
        table_name="schedule_sources",
        postgresql_where=sa.text("active"),
    )
    op.drop_table("schedule_sources")
    op.drop_index(op.f("ix_runs_version_id"), table_name="runs")
    op.drop_index(op.f("ix_runs_queue_id"), table_name="runs")
    op.drop_index(op.f("ix_runs_project_id"), table_name="runs")
    op.drop_index(op.f("ix_runs_organization_id"), table_name="runs")
    op.drop_index("ix_runs_job_environment_created_at", table_name="runs")
    op.drop_index(op.f("ix_runs_external_account_id"), table_name="runs")
    op.drop_index(op.f("ix_runs_event_id"), table_name="runs")
    op.drop_index("ix_runs_environment_status", table_name="runs")
    op.drop_index(op.f("ix_runs_endpoint_id"), table_name="runs")
    op.drop_table("runs")
    op.drop_index(op.f("ix_dynamic_trigger_jobs_job_id"), table_name="dynamic_trigger_jobs")
    op.drop_table("dynamic_trigger_jobs")
    op.drop_index(
        op.f("ix_webhook_request_deliveries_webhook_id"), table_name="webhook_request_deliveries"
    )
    op.drop_index(
        op.f("ix_webhook_request_deliveries_webhook_environment_id"),
        table_name="webhook_request_deliveries",
    )
    op.drop_index(
        op.f("ix_webhook_request_deliveries_environment_id"),
        table_name="webhook_request_deliveries",
    )
    op.drop_index(
        op.f("ix_webhook_request_deliveries_endpoint_id"), table_name="webhook_request_deliveries"
    )
    op.drop_table("webhook_request_deliveries")
    op.drop_index(op.f("ix_job_integrations_job_id"), table_name="job_integrations")
    op.drop_index(op.f("ix_job_integrations_integration_id"), table_name="job_integrations")
    op.drop_table("job_integrations")
    op.drop_index(op.f("ix_job_aliases_version_id"), table_name="job_aliases")
    op.drop_index(op.f("ix_job_aliases_environment_id"), table_name="job_aliases")
    op.drop_table("job_aliases")
    op.drop_index(
        "ix_event_records_undelivered_deliver_at",
        table_name="event_records",
        postgresql_where=sa.text("delivered_at IS NULL AND cancelled_at IS NULL"),
    )
    op.drop_index(op.f("ix_event_records_project_id"), table_name="event_records")
    op.drop_index(op.f("ix_event_records_organization_id"), table_name="event_records")
    op.drop_index(op.f("ix_event_records_http_endpoint_id"), table_name="event_records")
    op.drop_index(op.f("ix_event_records_http_endpoint_environment_id"), table_name="event_records")
    op.drop_index(op.f("ix_event_records_external_account_id"), table_name="event_records")
    op.drop_index("ix_event_records_environment_created_at", table_name="event_records")
    op.drop_table("event_records")
    op.drop_index(op.f("ix_event_examples_job_version_id"), table_name="event_examples")
    op.drop_table("event_examples")
    op.drop_index(
        op.f("ix_dynamic_triggers_source_registration_job_id"), table_name="dynamic_triggers"
    )
    op.drop_table("dynamic_triggers")
    op.drop_index(op.f("ix_webhook_environments_webhook_id"), table_name="webhook_environments")
    op.drop_index(op.f("ix_webhook_environments_endpoint_id"), table_name="webhook_environments")
    op.drop_table("webhook_environments")
    op.drop_index(
        op.f("ix_trigger_http_endpoint_environments_http_endpoint_id"),
        table_name="trigger_http_endpoint_environments",
    )
    op.drop_table("trigger_http_endpoint_environments")
    op.drop_index(
        op.f("ix_missing_connections_external_account_id"), table_name="missing_connections"
    )
    op.drop_table("missing_connections")
    op.drop_index(op.f("ix_job_versions_queue_id"), table_name="job_versions")
    op.drop_index(op.f("ix_job_versions_project_id"), table_name="job_versions")
    op.drop_index(op.f("ix_job_versions_organization_id"), table_name="job_versions")
    op.drop_index("ix_job_versions_job_environment_status", table_name="job_versions")
    op.drop_index(op.f("ix_job_versions_environment_id"), table_name="job_versions")
    op.drop_index(op.f("ix_job_versions_endpoint_id"), table_name="job_versions")
    op.drop_index(op.f("ix_job_versions_concurrency_limit_group_id"), table_name="job_versions")
    op.drop_table("job_versions")
    op.drop_index(
        op.f("ix_integration_connections_organization_id"), table_name="integration_connections"
    )
    op.drop_index(
        op.f("ix_integration_connections_integration_id"), table_name="integration_connections"
    )
    op.drop_index(
        op.f("ix_integration_connections_external_account_id"), table_name="integration_connections"
    )
    op.drop_index(
        op.f("ix_integration_connections_data_reference_id"), table_name="integration_connections"
    )
    op.drop_table("integration_connections")
    op.drop_index(op.f("ix_event_dispatchers_external_account_id"), table_name="event_dispatchers")
    op.drop_index(
        "ix_event_dispatchers_event", table_name="event_dispatchers", postgresql_using="gin"
    )
    op.drop_index(
        "ix_event_dispatchers_environment_source_enabled_manual", table_name="event_dispatchers"
    )
    op.drop_table("event_dispatchers")
    op.drop_index("ix_endpoint_indexes_endpoint_created_at", table_name="endpoint_indexes")
    op.drop_table("endpoint_indexes")
    op.drop_index(op.f("ix_webhooks_project_id"), table_name="webhooks")
    op.drop_index(op.f("ix_webhooks_integration_id"), table_name="webhooks")
    op.drop_table("webhooks")
    op.drop_index("ix_key_value_items_key", table_name="key_value_items", postgresql_using="hash")
    op.drop_table("key_value_items")
    op.drop_table("job_queues")
    op.drop_index(op.f("ix_external_accounts_organization_id"), table_name="external_accounts")
    op.drop_table("external_accounts")
    op.drop_index(op.f("ix_endpoints_project_id"), table_name="endpoints")
    op.drop_index(op.f("ix_endpoints_organization_id"), table_name="endpoints")
    op.drop_table("endpoints")
    op.drop_index(op.f("ix_connection_attempts_integration_id"), table_name="connection_attempts")
    op.drop_table("connection_attempts")
    op.drop_table("concurrency_limit_groups")
    op.drop_index(
        op.f("ix_trigger_http_endpoints_secret_reference_id"), table_name="trigger_http_endpoints"
    )
    op.drop_index(op.f("ix_trigger_http_endpoints_project_id"), table_name="trigger_http_endpoints")
    op.drop_table("trigger_http_endpoints")
    op.drop_index(op.f("ix_jobs_organization_id"), table_name="jobs")
    op.drop_table("jobs")
    op.drop_index(op.f("ix_integrations_definition_id"), table_name="integrations")
    op.drop_index(op.f("ix_integrations_custom_client_reference_id"), table_name="integrations")
    op.drop_index(op.f("ix_integrations_auth_method_id"), table_name="integrations")
    op.drop_table("integrations")
    op.drop_index(op.f("ix_environments_organization_id"), table_name="environments")
    op.drop_index(op.f("ix_environments_org_member_id"), table_name="environments")
    op.drop_table("environments")
    op.drop_index(op.f("ix_projects_organization_id"), table_name="projects")
    op.drop_table("projects")
    op.drop_index(op.f("ix_org_members_user_id"), table_name="org_members")
    op.drop_table("org_members")
    op.drop_table("integration_auth_methods")
    op.drop_table("webhook_delivery_counters")
    op.drop_table("users")
    op.drop_table("secret_stores")
    op.drop_table("secret_references")
    op.drop_table("organizations")
    op.drop_table("job_counters")
    op.drop_table("integration_definitions")
    for enum_type in ENUM_TYPES:
        op.execute(sa.text(f"DROP TYPE IF EXISTS {enum_type}"))
    _run_script(DROP_PROCRASTINATE)
