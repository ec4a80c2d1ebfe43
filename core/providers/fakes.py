from __future__ import annotations

import json
from typing import Any

from django.utils import timezone

OUTBOX_LIMIT = 500


def _key(name: str) -> str:
    from django.conf import settings

    return f"{settings.REDIS_KEY_PREFIX}:dev:{name}"


class FakeFailure(RuntimeError):
    """What a fake raises when told to fail, like a provider's API error."""


def _redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def fake_record(service: str, payload: dict[str, Any]) -> str:
    """Record one outbound item; returns a provider-style id."""
    from django.db import connection

    conn = _redis()
    message_id = f"fake-{service}-{conn.incr(_key('outbox:seq'))}"
    item = {
        "id": message_id,
        "service": service,
        "schema": connection.schema_name,
        "at": timezone.now().isoformat(),
        **payload,
    }
    pipe = conn.pipeline()
    pipe.lpush(_key("outbox"), json.dumps(item, default=str))
    pipe.ltrim(_key("outbox"), 0, OUTBOX_LIMIT - 1)
    pipe.execute()
    return message_id


def fake_outbox(service: str | None = None) -> list[dict[str, Any]]:
    """Newest first."""
    items = [json.loads(raw) for raw in _redis().lrange(_key("outbox"), 0, OUTBOX_LIMIT - 1)]
    return [i for i in items if service is None or i["service"] == service]


def fake_outbox_clear() -> None:
    _redis().delete(_key("outbox"))


def fake_fail_next(service: str, times: int = 1, message: str = "Simulated provider error") -> None:
    """Make the next `times` calls of this fake raise FakeFailure (in any process)."""
    conn = _redis()
    key = _key(f"fail:{service}")
    if times <= 0:
        conn.delete(key)
        return
    conn.set(key, json.dumps({"times": times, "message": message}), ex=3600)


def fake_maybe_fail(service: str) -> None:
    conn = _redis()
    key = _key(f"fail:{service}")
    raw = conn.get(key)
    if raw is None:
        return
    data = json.loads(raw)
    if data["times"] <= 1:
        conn.delete(key)
    else:
        conn.set(key, json.dumps({**data, "times": data["times"] - 1}), keepttl=True)
    raise FakeFailure(data["message"])
