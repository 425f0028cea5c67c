"""sdk-v5-style: django-ninja with an HttpBearer auth class that, like the platform's own SDK v5
(mpt_extension_sdk/core/security.py), decodes the claims unverified, looks the secret up by
webhook_id, then verifies HS256: what vendors run today. Served as ASGI under uvicorn."""

from typing import Any

import django
import jwt
from django.conf import settings

from bench.peers._common import SECRETS

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only",
    ROOT_URLCONF=__name__,
    ALLOWED_HOSTS=["*"],
    INSTALLED_APPS=["ninja"],
    MIDDLEWARE=[],
    USE_TZ=True,
)
django.setup()

from django.core.asgi import get_asgi_application  # noqa: E402
from django.http import HttpRequest  # noqa: E402
from django.urls import path  # noqa: E402
from ninja import Body, NinjaAPI  # noqa: E402
from ninja.security import HttpBearer  # noqa: E402


class JWTAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> dict[str, Any] | None:
        try:
            claims = jwt.decode(token, options={"verify_signature": False, "verify_aud": False})
            secret = SECRETS.get(claims.get("webhook_id", ""))
            if not secret:
                return None
            return jwt.decode(token, secret, algorithms=["HS256"], options={"verify_aud": False})
        except jwt.PyJWTError:
            return None


api = NinjaAPI(auth=JWTAuth())


@api.post("/")
def validate(request: HttpRequest, order: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
    order["error"] = None
    return order


urlpatterns = [path("", api.urls)]
app = get_asgi_application()
