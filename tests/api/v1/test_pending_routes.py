"""Every SDK route exists: authenticated as v2 did, and a clear 501 until it lands."""

import httpx
import pytest

from kongflow.api.v1.pending import PENDING_ROUTES, Auth, PendingRoute
from tests.support.tenancy import EnvironmentKeys


def _concrete(path: str) -> str:
    return path.replace("{", "x").replace("}", "")


@pytest.mark.parametrize("route", PENDING_ROUTES, ids=lambda r: f"{r.methods[0]} {r.path}")
async def test_pending_route_authenticates_then_says_not_implemented(
    http: httpx.AsyncClient, environments: dict[str, EnvironmentKeys], route: PendingRoute
) -> None:
    path = _concrete(route.path)
    method = route.methods[0]
    keys = environments["dev"]
    if route.auth is not Auth.NONE:
        anonymous = await http.request(method, path)
        assert anonymous.status_code == 401
        public = await http.request(
            method, path, headers={"Authorization": f"Bearer {keys.pk_api_key}"}
        )
        expected_public = 501 if route.auth is Auth.ANY_KEY else 401
        assert public.status_code == expected_public
    response = await http.request(method, path, headers={"Authorization": f"Bearer {keys.api_key}"})
    assert response.status_code == 501
    if method != "HEAD":
        assert response.json()["code"] == "not_implemented"
        assert "not available in this kongflow version yet" in response.json()["error"]
