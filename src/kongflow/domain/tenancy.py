"""Who a request or job acts for: the environment scope every query is limited to."""

from dataclasses import dataclass

from kongflow.domain.enums import EnvironmentType


@dataclass(frozen=True)
class EnvironmentScope:
    """An environment with the project and organization it belongs to."""

    id: str
    slug: str
    type: EnvironmentType
    project_id: str
    organization_id: str
