"""The fuzzer's server-error check for this stack, loaded by `st` through SCHEMATHESIS_HOOKS.

Schemathesis' `not_a_server_error` fails every 5xx. One 5xx is the planned answer: a model that
is trained in the background (first start, or a symbol asked for the first time) answers 503
`model-being-prepared` at once, with `Retry-After` and the job that prepares it, instead of
holding the request for the fit (issue 14). This check passes exactly that answer and fails
every other 5xx, a 503 without its type, job or Retry-After included.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis.core.failures import ServerError

MODEL_PREPARING = "urn:tradingstack:problem:model-being-prepared"


def is_model_being_prepared(status: int, headers: dict[str, Any], body: Any) -> bool:
    """A 503 problem of type model-being-prepared, with Retry-After and the job (its `id`)."""
    names = {str(k).lower() for k in headers}
    job = body.get("job") if isinstance(body, dict) else None
    return (
        status == 503
        and "retry-after" in names
        and isinstance(body, dict)
        and body.get("type") == MODEL_PREPARING
        and isinstance(job, dict)
        and isinstance(job.get("id"), str)
    )


@schemathesis.check
def no_unplanned_server_error(ctx: Any, response: Any, case: Any) -> bool | None:
    """No 5xx, except a model being prepared (see the module's docstring)."""
    if response.status_code < 500:
        return None
    try:
        body = response.json()
    except Exception:  # not JSON: it cannot be the planned answer
        body = None
    if is_model_being_prepared(response.status_code, dict(response.headers), body):
        return None
    raise ServerError(operation=case.operation.label, status_code=response.status_code)
