"""The key-value store routes, over real HTTP against real PostgreSQL, checked against
the recorded SDK traffic (``client-api/22…27``, ``runs/status-and-store/06…18``)."""

import asyncio
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from kongflow.db.orm import KeyValueItem
from kongflow.db.session import Database
from kongflow.services.store.rules import MAX_VALUE_BYTES
from tests.support.tenancy import EnvironmentKeys

TEXT = {"Content-Type": "text/plain"}


@pytest.fixture
def prod(environments: dict[str, EnvironmentKeys]) -> dict[str, str]:
    return {"Authorization": f"Bearer {environments['prod'].api_key}"}


async def _items(db: Database) -> list[tuple[str, bytes]]:
    async with db.transaction() as session:
        rows = await session.execute(
            select(KeyValueItem.key, KeyValueItem.value).order_by(KeyValueItem.key)
        )
        return [(key, value) for key, value in rows.all()]


async def test_set_get_has_delete_match_the_recorded_traffic(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str]
) -> None:
    path = "/api/v1/store/tour%3Akey"

    stored = await http.put(path, content='{"a":1}', headers={**dev, **TEXT})
    assert stored.status_code == 200
    assert stored.headers["content-type"].startswith("application/json")
    assert stored.json() == {"action": "SET", "key": "tour%3Akey", "value": '{"a":1}'}

    read = await http.get(path, headers=dev)
    assert read.status_code == 200
    assert read.json() == {"action": "GET", "key": "tour%3Akey", "value": '{"a":1}'}

    present = await http.head(path, headers=dev)
    assert present.status_code == 200 and present.content == b""

    deleted = await http.delete(path, headers=dev)
    assert deleted.status_code == 200
    assert deleted.json() == {"action": "DELETE", "key": "tour%3Akey", "deleted": True}

    absent = await http.head(path, headers=dev)
    assert absent.status_code == 404 and absent.content == b""
    assert absent.headers["content-length"] == "0"

    missing = await http.get(path, headers=dev)
    assert missing.status_code == 200
    assert missing.json() == {"action": "GET", "key": "tour%3Akey"}

    again = await http.delete(path, headers=dev)
    assert again.status_code == 200
    assert again.json() == {"action": "DELETE", "key": "tour%3Akey", "deleted": False}
    assert await _items(db) == []


async def test_keys_are_stored_decoded_and_echoed_as_the_sdk_encodes_them(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str]
) -> None:
    await http.put("/api/v1/store/tour%3Akey", content="[1,2]", headers={**dev, **TEXT})
    assert await _items(db) == [("tour:key", b"[1,2]")]

    # Unencoded, the same key names the same item; the echo is always encoded.
    plain = await http.get("/api/v1/store/tour:key", headers=dev)
    assert plain.json() == {"action": "GET", "key": "tour%3Akey", "value": "[1,2]"}

    unicode = await http.put(
        "/api/v1/store/caf%C3%A9%20%E2%9C%93", content='"ok"', headers={**dev, **TEXT}
    )
    assert unicode.json()["key"] == "caf%C3%A9%20%E2%9C%93"
    assert ("café ✓", b'"ok"') in await _items(db)


async def test_namespaced_keys_from_the_run_capture(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str]
) -> None:
    # runs/status-and-store/06, 09, 12, 15, 18
    greeting = await http.put(
        "/api/v1/store/greeting", content='{"hello":"world"}', headers={**dev, **TEXT}
    )
    assert greeting.json() == {"action": "SET", "key": "greeting", "value": '{"hello":"world"}'}
    read = await http.get("/api/v1/store/greeting", headers=dev)
    assert read.json() == {"action": "GET", "key": "greeting", "value": '{"hello":"world"}'}

    has = await http.head("/api/v1/store/run%3Arun_status-and-store%3Amissing-key", headers=dev)
    assert has.status_code == 404

    counter = await http.put(
        "/api/v1/store/job%3Astatus-and-store%3Acounter", content="1", headers={**dev, **TEXT}
    )
    assert counter.status_code == 200
    assert counter.json() == {
        "action": "SET",
        "key": "job%3Astatus-and-store%3Acounter",
        "value": "1",
    }
    dropped = await http.delete("/api/v1/store/greeting", headers=dev)
    assert dropped.json() == {"action": "DELETE", "key": "greeting", "deleted": True}

    # An env key and a job key of the same name are different items.
    await http.put("/api/v1/store/counter", content="5", headers={**dev, **TEXT})
    assert await _items(db) == [("counter", b"5"), ("job:status-and-store:counter", b"1")]


async def test_an_encoded_slash_is_part_of_the_key(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str]
) -> None:
    stored = await http.put("/api/v1/store/auth%2Ftoken", content='"t"', headers={**dev, **TEXT})
    assert stored.status_code == 200, stored.text
    assert stored.json() == {"action": "SET", "key": "auth%2Ftoken", "value": '"t"'}
    assert await _items(db) == [("auth/token", b'"t"')]
    assert (await http.head("/api/v1/store/auth%2Ftoken", headers=dev)).status_code == 200

    # A literal slash is a different path, not a store key.
    other = await http.put("/api/v1/store/a/b", content='"t"', headers={**dev, **TEXT})
    assert other.status_code == 404
    assert await _items(db) == [("auth/token", b'"t"')]


async def test_set_overwrites_and_keeps_the_exact_text(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str]
) -> None:
    path = "/api/v1/store/settings"
    await http.put(path, content='{"v": 1}', headers={**dev, **TEXT})
    second = await http.put(path, content='{ "v" : 2 ,"w":[ ] }', headers={**dev, **TEXT})
    assert second.json()["value"] == '{ "v" : 2 ,"w":[ ] }'
    read = await http.get(path, headers=dev)
    assert read.json()["value"] == '{ "v" : 2 ,"w":[ ] }'
    assert await _items(db) == [("settings", b'{ "v" : 2 ,"w":[ ] }')]


async def test_a_value_over_256_kib_is_refused(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str]
) -> None:
    largest = json.dumps("x" * (MAX_VALUE_BYTES - 2))
    assert len(largest) == MAX_VALUE_BYTES
    accepted = await http.put("/api/v1/store/big", content=largest, headers={**dev, **TEXT})
    assert accepted.status_code == 200

    too_large = json.dumps("x" * (MAX_VALUE_BYTES - 1))
    refused = await http.put("/api/v1/store/big", content=too_large, headers={**dev, **TEXT})
    assert refused.status_code == 413
    body = refused.json()
    assert body["code"] == "value_too_large"
    assert "262144" in body["error"] and body["message"] == body["error"]
    assert (await http.get("/api/v1/store/big", headers=dev)).json()["value"] == largest


@pytest.mark.parametrize(
    "content",
    [b"", b"{not json", b"NaN", b"[1, Infinity]", b"\xff\xfe", b"[" * 100_000],
    ids=["empty", "broken", "nan", "infinity", "not-utf8", "too-deep"],
)
async def test_a_value_that_is_not_json_text_is_refused(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], content: bytes
) -> None:
    response = await http.put("/api/v1/store/k", content=content, headers={**dev, **TEXT})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"
    assert await _items(db) == []


@pytest.mark.parametrize(
    "path", ["/api/v1/store/a%00b", "/api/v1/store/" + "k" * 1025], ids=["nul", "too-long"]
)
async def test_an_unstorable_key_is_a_400(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], path: str
) -> None:
    for method in ("GET", "PUT", "DELETE"):
        response = await http.request(method, path, content="1", headers={**dev, **TEXT})
        assert response.status_code == 400, method
        assert response.json()["code"] == "invalid_key"
    assert (await http.head(path, headers=dev)).status_code == 400


async def test_each_environment_has_its_own_store(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], prod: dict[str, str]
) -> None:
    path = "/api/v1/store/shared"
    await http.put(path, content='"dev"', headers={**dev, **TEXT})

    assert (await http.get(path, headers=prod)).json() == {"action": "GET", "key": "shared"}
    assert (await http.head(path, headers=prod)).status_code == 404
    gone: Any = (await http.delete(path, headers=prod)).json()
    assert gone["deleted"] is False

    await http.put(path, content='"prod"', headers={**prod, **TEXT})
    assert (await http.get(path, headers=dev)).json()["value"] == '"dev"'
    assert (await http.get(path, headers=prod)).json()["value"] == '"prod"'


async def test_the_store_needs_a_secret_key(
    db: Database, http: httpx.AsyncClient, environments: dict[str, EnvironmentKeys]
) -> None:
    public = {"Authorization": f"Bearer {environments['dev'].pk_api_key}"}
    for method in ("GET", "PUT", "DELETE"):
        for headers in ({}, public):
            response = await http.request(method, "/api/v1/store/k", content="1", headers=headers)
            assert response.status_code == 401
            assert response.json()["code"] == "unauthorized"
    assert (await http.head("/api/v1/store/k", headers=public)).status_code == 401
    assert await _items(db) == []


async def test_concurrent_sets_of_one_key_leave_one_item(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str]
) -> None:
    responses = await asyncio.gather(
        *(http.put("/api/v1/store/race", content=str(n), headers={**dev, **TEXT}) for n in range(6))
    )
    assert [response.status_code for response in responses] == [200] * 6
    [(key, value)] = await _items(db)
    assert key == "race" and value in {str(n).encode() for n in range(6)}
