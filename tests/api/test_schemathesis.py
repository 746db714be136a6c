"""schemathesis against the app's own OpenAPI document, with an admin's and an
investigator's token: no answer is a server error, and every answer matches its schema.

Each operation (listed by the role matrix, which checks that it lists every route) gets
`MAX_EXAMPLES` positive and as many negative generated requests, without a deadline, so
the file runs in well under two minutes on two cores. Hypothesis drives the generation
through schemathesis's own strategies (`APIOperation.as_strategy`); its pytest plugin's
lazy fixtures do not run under pytest 9. The data folder is the module's own: the
generated calls create users and cameras, change the retention period and purge.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.api.conftest import bearer, make_app
from tests.api.test_role_matrix import CALL_NAMES
from tests.security.conftest import SecEnv, cheap_argon2, make_env

MAX_EXAMPLES = 20
OPERATIONS = ["GET /api/v1/health", *CALL_NAMES]


@pytest.fixture(scope="module")
def st_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SecEnv, FastAPI]]:
    with cheap_argon2():
        env = make_env(tmp_path_factory.mktemp("schemathesis"))
        yield env, make_app(env.home)


@pytest.fixture(scope="module")
def api_schema(st_env: tuple[SecEnv, FastAPI]) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", st_env[1])


CASES = [
    (operation, mode)
    for operation in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    # Health takes no input at all: nothing to make invalid.
    if not (operation == "GET /api/v1/health" and mode == GenerationMode.NEGATIVE)
]


@pytest.mark.parametrize(("operation", "mode"), CASES)
def test_no_server_error_and_every_answer_matches_its_schema(
    api_schema: Any, st_env: tuple[SecEnv, FastAPI], operation: str, mode: GenerationMode
) -> None:
    env = st_env[0]
    method, path = operation.split(" ", 1)
    op = api_schema[path][method]
    tokens = [bearer(env.token_of(role)) for role in ("admin", "investigator")]

    @given(case=op.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def check(case: Any) -> None:
        for headers in tokens:
            case.call_and_validate(
                headers=headers, checks=[not_a_server_error, response_schema_conformance]
            )

    check()
