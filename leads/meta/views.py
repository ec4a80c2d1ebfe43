"""Meta lead ads on the platform host: the webhook's verify handshake (GET) and deliveries
(POST), each stored and queued by `meta_webhook_receive` before the answer goes back."""

from __future__ import annotations

import hmac
import json
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from leads import services
from leads.inquiries.meta import meta_signature_valid

logger = logging.getLogger(__name__)

MAX_META_BODY_BYTES = 1024 * 1024


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": code, "message": message}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


@csrf_exempt
def meta_webhook(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _meta_handshake(request)
    if request.method != "POST":
        response = _error(405, "method_not_allowed", "Use GET to verify or POST to deliver.")
        response["Allow"] = "GET, POST"
        return response
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_META_BODY_BYTES:
        return _error(413, "too_large", "The delivery is larger than 1 MB.")
    # The signature covers the bytes exactly as sent: verify before parsing anything.
    body = request.body
    if not meta_signature_valid(
        body=body,
        header=request.headers.get("X-Hub-Signature-256"),
        app_secret=settings.META_APP_SECRET,
    ):
        logger.warning("meta webhook signature rejected")
        return _error(403, "bad_signature", "The X-Hub-Signature-256 signature does not match.")
    try:
        payload = json.loads(body)
    except ValueError:
        return _error(400, "invalid_json", "The body is not valid JSON.")
    events = services.meta_webhook_receive(payload=payload)
    return JsonResponse({"status": "ok", "new_events": len(events)})


def _meta_handshake(request: HttpRequest) -> HttpResponse:
    expected = settings.META_VERIFY_TOKEN or ""
    given = request.GET.get("hub.verify_token", "")
    if (
        not expected
        or request.GET.get("hub.mode") != "subscribe"
        or not hmac.compare_digest(given.encode(), expected.encode())
    ):
        return HttpResponse("Verification failed.", status=403, content_type="text/plain")
    challenge = request.GET.get("hub.challenge", "")
    if not challenge or len(challenge) > 200 or not (challenge.isascii() and challenge.isalnum()):
        return HttpResponse(
            "Missing or malformed hub.challenge.", status=400, content_type="text/plain"
        )
    return HttpResponse(challenge, content_type="text/plain")
