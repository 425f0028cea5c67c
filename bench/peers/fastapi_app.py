"""fastapi: a PyJWT dependency and a pydantic Order model: what a user would write instead."""

from typing import Annotated, Any

import jwt
from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, ConfigDict

from bench.peers._common import SECRETS


class Order(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    type: str | None = None
    status: str | None = None
    error: dict[str, Any] | None = None
    lines: list[dict[str, Any]] | None = None
    parameters: dict[str, Any] | None = None


def verified_claims(request: Request) -> dict[str, Any]:
    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        return jwt.decode(
            token,
            SECRETS[claims["webhook_id"]],
            algorithms=["HS256"],
            options={"verify_aud": False, "require": ["exp", "webhook_id"]},
        )
    except (jwt.PyJWTError, KeyError):
        raise HTTPException(status_code=401, detail="Unauthorized") from None


app = FastAPI()


@app.post("/")
async def validate(
    order: Order, claims: Annotated[dict[str, Any], Depends(verified_claims)]
) -> dict[str, Any]:
    order.error = None
    return order.model_dump(exclude_unset=False)
