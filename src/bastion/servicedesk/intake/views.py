"""The WeChat Official Account callback (a plain view: WeChat signs requests, it has no session).

GET answers the server verification by echoing ``echostr``; POST takes a message in and answers with
the passive reply XML at once (WeChat gives up after 5 s and retries the same MsgId three times, so
a repeat answers the same as the first). A bad signature or a stale timestamp answers 403.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from bastion.platform.ratelimit import rate_limit
from bastion.servicedesk.intake import wechat
from bastion.servicedesk.intake.actions import do_ingest_wechat_message

logger = logging.getLogger(__name__)
_SUCCESS = "success"  # WeChat's "received, nothing to say" answer


def _signed(request: HttpRequest) -> bool:
    params = request.GET
    return wechat.signature_valid(
        token=settings.BASTION_WECHAT_TOKEN,
        timestamp=params.get("timestamp", ""),
        nonce=params.get("nonce", ""),
        given=params.get("signature", ""),
    ) and wechat.timestamp_fresh(
        params.get("timestamp", ""),
        now=timezone.now(),
        max_skew_seconds=settings.BASTION_WECHAT_MAX_SKEW_SECONDS,
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
@rate_limit(
    group="servicedesk.wechat", key="ip", rate="setting:BASTION_RATE_LIMIT_WECHAT", methods=("GET", "POST")
)
def wechat_callback(request: HttpRequest) -> HttpResponse:
    if not settings.BASTION_WECHAT_ENABLED or not settings.BASTION_WECHAT_TOKEN:
        raise Http404
    if not _signed(request):
        logger.warning("wechat callback refused: bad signature or stale timestamp")
        return HttpResponseForbidden("invalid signature", content_type="text/plain")
    if request.method == "GET":
        return HttpResponse(request.GET.get("echostr", "")[:200], content_type="text/plain")
    if b"<Encrypt>" in request.body and b"<MsgType>" not in request.body:
        # Safe mode sends only ciphertext: not supported (decision 0317); compatible mode's plaintext
        # copy is read as usual. Say so in the log, do not guess.
        logger.error("wechat callback in safe (AES) mode is not supported; switch to compatible mode")
        return HttpResponse(_SUCCESS, content_type="text/plain")
    try:
        message = wechat.parse_message(request.body)
    except wechat.WeChatProtocolError as exc:
        return HttpResponse(f"bad message: {exc}", status=400, content_type="text/plain")
    result = do_ingest_wechat_message(message=message)
    if not result.reply:
        return HttpResponse(_SUCCESS, content_type="text/plain")
    body = wechat.text_reply(message=message, content=result.reply, now=timezone.now())
    return HttpResponse(body, content_type="application/xml; charset=utf-8")
