"""HTTP routes for sign-in (open) and user administration (bearer token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from starlette.responses import Response

from carehub.identity.accounts import AccountService
from carehub.identity.one_time_codes import CodeService
from carehub.identity.schemas import (
    Accepted,
    CodeRequest,
    Jwks,
    LoginRequest,
    LogoutRequest,
    MeRead,
    RefreshRequest,
    SignupRequest,
    TokenRead,
    UserCreate,
    UserPage,
    UserRead,
    UserUpdate,
    VerifyCodeRequest,
)
from carehub.identity.sessions import SessionService
from carehub.kernel.errors import Unauthenticated
from carehub.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT
from carehub.web.actor import REQUIRE_TOKEN, CurrentActor
from carehub.web.dependencies import use_case
from carehub.web.problems import error_responses

auth = APIRouter(prefix="/auth", tags=["sign-in"])
keys = APIRouter(tags=["sign-in"])
users = APIRouter(
    prefix="/users", tags=["users"], dependencies=REQUIRE_TOKEN, responses=error_responses(401)
)
Accounts = Annotated[AccountService, Depends(use_case(AccountService))]
Sessions = Annotated[SessionService, Depends(use_case(SessionService))]
Codes = Annotated[CodeService, Depends(use_case(CodeService))]
CODE_SENT = "If the address belongs to an account, a code is on its way"


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _json(
    model: TokenRead | UserRead | MeRead | UserPage | Accepted, status: int = 200
) -> Response:
    return Response(model.model_dump_json(by_alias=True), status, media_type="application/json")


@auth.post("/login", response_model=TokenRead, responses=error_responses(401, 422, 429))
async def login(request: Request, sessions: Sessions, body: LoginRequest) -> Response:
    """Sign in with email and password."""
    pair = await sessions.login(email=body.email, password=body.password, client=_client(request))
    return _json(TokenRead.of(pair))


@auth.post("/refresh", response_model=TokenRead, responses=error_responses(401, 422))
async def refresh(sessions: Sessions, body: RefreshRequest) -> Response:
    """Swap a refresh token for new tokens; each refresh token works once."""
    pair = await sessions.refresh(refresh_token=body.refresh_token)
    return _json(TokenRead.of(pair))


@auth.post("/logout", status_code=204, responses=error_responses(422))
async def logout(request: Request, sessions: Sessions, body: LogoutRequest) -> Response:
    """Revoke the session of a refresh token and/or of the bearer token sent along."""
    actor = None
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        try:
            actor = await sessions.authenticate(header[7:], request_id=None, client=None)
        except Unauthenticated:  # an expired or revoked token has nothing left to revoke
            actor = None
    await sessions.logout(refresh_token=body.refresh_token, actor=actor)
    return Response(status_code=204)


@auth.post(
    "/otp/request", status_code=202, response_model=Accepted, responses=error_responses(422, 429)
)
async def request_code(
    request: Request, codes: Codes, body: CodeRequest, after: BackgroundTasks
) -> Response:
    """Mail a 6-digit sign-in code (valid 10 minutes, single use)."""
    after.add_task(await codes.request_code(email=body.email, client=_client(request)))
    return _json(Accepted(detail=CODE_SENT), 202)


@auth.post("/otp/verify", response_model=TokenRead, responses=error_responses(401, 422, 429))
async def verify_code(request: Request, codes: Codes, body: VerifyCodeRequest) -> Response:
    """Sign in with a mailed code."""
    pair = await codes.verify_code(email=body.email, code=body.code, client=_client(request))
    return _json(TokenRead.of(pair))


@auth.post(
    "/signup", status_code=202, response_model=Accepted, responses=error_responses(403, 422, 429)
)
async def signup(
    request: Request, codes: Codes, body: SignupRequest, after: BackgroundTasks
) -> Response:
    """Create a patient account; confirm it with the mailed code at `/auth/signup/verify`."""
    after.add_task(await codes.signup(signup=body.to_signup(), client=_client(request)))
    return _json(Accepted(detail=CODE_SENT), 202)


@auth.post(
    "/signup/verify",
    status_code=201,
    response_model=TokenRead,
    responses=error_responses(401, 422, 429),
)
async def confirm_signup(request: Request, codes: Codes, body: VerifyCodeRequest) -> Response:
    """Confirm the mailed code: the account becomes active with its own patient record."""
    pair = await codes.confirm_signup(email=body.email, code=body.code, client=_client(request))
    return _json(TokenRead.of(pair), 201)


@keys.get("/.well-known/jwks.json", response_model=Jwks)
async def jwks(sessions: Sessions) -> Response:
    """The public keys that verify carehub's access tokens."""
    found = await sessions.tokens.public_keys()
    return Response(
        Jwks(keys=found).model_dump_json(),
        media_type="application/json",
        headers={"Cache-Control": "public, max-age=300"},
    )


@users.post("", status_code=201, response_model=UserRead, responses=error_responses(403, 409, 422))
async def create_user(actor: CurrentActor, accounts: Accounts, body: UserCreate) -> Response:
    """Create an account of any role (admins)."""
    user = await accounts.create_user(actor=actor, new=body.to_new_user())
    response = _json(UserRead.of(user), 201)
    response.headers["Location"] = f"/users/{user.id}"
    return response


@users.get("", response_model=UserPage, responses=error_responses(403, 422))
async def list_users(
    actor: CurrentActor,
    accounts: Accounts,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    """List accounts (admins)."""
    page = await accounts.list_users(actor=actor, cursor=cursor, limit=limit)
    return _json(UserPage(items=[UserRead.of(u) for u in page.items], next_cursor=page.next_cursor))


@users.get("/me", response_model=MeRead)
async def me(actor: CurrentActor, accounts: Accounts) -> Response:
    """The signed-in account, or the external provider's principal (`external` says which)."""
    user = await accounts.me(actor=actor)
    return _json(MeRead.of(actor, user))


@users.get("/{user_id}", response_model=UserRead, responses=error_responses(404, 422))
async def read_user(actor: CurrentActor, accounts: Accounts, user_id: str) -> Response:
    """One account (admins, or the account itself)."""
    user = await accounts.get_user(actor=actor, user_id=user_id)
    return _json(UserRead.of(user))


@users.patch("/{user_id}", response_model=UserRead, responses=error_responses(403, 404, 409, 422))
async def change_user(
    actor: CurrentActor, accounts: Accounts, user_id: str, body: UserUpdate
) -> Response:
    """Change role, status, country or links (admins only; signs the user out); 409 if it
    would disable or demote the last active admin."""
    user = await accounts.change_user(actor=actor, user_id=user_id, changes=body.to_changes())
    return _json(UserRead.of(user))
