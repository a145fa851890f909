"""Schemathesis over the OpenAPI schema, against a real server process: whatever it sends —
unknown ids, wrong types, huge strings, odd characters — the answer is never a 500 and always
matches the documented schema."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from conftest import (
    PASSWORDS,
    POSTGRES_ADMIN_URL,
    SMALL_HALL,
    ServerProcess,
    _postgres_admin,
    need_service,
)
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.slow

REAL = {"site": "TEST", "counter": 1, "ticket": 1}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def running_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("schema")
    database = f"sqlite:///{root / 'data' / 'antrean.db'}"
    pg_name = None
    if request.param == "postgres":
        need_service("PostgreSQL", "127.0.0.1", 5432)
        pg_name = f"antrean_test_{uuid.uuid4().hex[:12]}"
        asyncio.run(_postgres_admin(f'CREATE DATABASE "{pg_name}"'))
        database = f"{POSTGRES_ADMIN_URL}/{pg_name}"
    server = ServerProcess(database, Path(root) / "data", SMALL_HALL)
    server.data_dir.mkdir(parents=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        if pg_name:
            asyncio.run(_postgres_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def admin_headers(running_server: ServerProcess) -> dict[str, str]:
    login = httpx.post(running_server.url + "/api/v1/auth/token",
                       json={"username": "admin", "password": PASSWORDS["admin"]})
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_no_input_makes_a_server_error(running_server: ServerProcess,
                                       admin_headers: dict[str, str], mode: str) -> None:
    schema = schemathesis.openapi.from_url(running_server.url + "/openapi.json")
    checks = [status_code_conformance, content_type_conformance, response_schema_conformance]
    failures: list[str] = []
    statuses: list[int] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:
        strategy = operation.as_strategy(generation_mode=GenerationMode(mode))

        @given(case=strategy)
        @settings(max_examples=20, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def probe(case: schemathesis.Case) -> None:
            # The admin's token, never one generated for the documented security schemes.
            case.headers = {name: value for name, value in (case.headers or {}).items()
                            if name.lower() != "authorization"}
            headers = {**case.headers, **admin_headers}
            attempts = [dict(case.path_parameters or {})]
            # Random codes rarely name a real site or counter: try each case on real ones too.
            if mode == "positive" and attempts[0]:
                attempts.append({**attempts[0],
                                 **{k: v for k, v in REAL.items() if k in attempts[0]}})
            for path_parameters in attempts:
                case.path_parameters = path_parameters
                response = case.call(headers=headers)
                statuses.append(response.status_code)
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path} -> "
                                    f"{response.status_code}: {response.text[:200]}")
                    continue
                try:
                    case.validate_response(response, checks=checks)
                except Exception as exc:  # a schema mismatch: collect them all, fail once
                    failures.append(f"{case.method} {case.formatted_path}: {str(exc)[:300]}")

        try:
            probe()
        except Unsatisfiable:
            assert mode == "negative"  # nothing to break in an operation without inputs
    assert failures == [], "\n".join(failures[:20])
    # It really probed: well-formed requests got through, malformed ones were refused.
    if mode == "positive":
        assert sum(200 <= status < 300 for status in statuses) > len(operations)
    else:
        assert sum(400 <= status < 500 for status in statuses) > 5 * len(operations)
