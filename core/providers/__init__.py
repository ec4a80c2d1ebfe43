"""External services behind small interfaces.

Each service has a production adapter on the provider's official SDK and an in-process fake.
Fakes record what they would have sent in Redis (so the web process can show what a worker
sent, at `/dev/outbox/`) and can be told to fail, so tests and demos exercise error paths.
"""

from core.providers.fakes import FakeFailure, fake_fail_next, fake_outbox, fake_outbox_clear

__all__ = ["FakeFailure", "fake_fail_next", "fake_outbox", "fake_outbox_clear"]
