"""A real moto server with a Cognito user pool whose tokens the OIDC verifier checks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import httpx
import pytest

from tests.support.services import unavailable

REGION = "us-east-1"
USERNAME, PASSWORD, EMAIL = "ana", "Corr3ct-Horse!", "ana@example.org"


@dataclass(frozen=True)
class CognitoPool:
    endpoint: str
    pool_id: str
    client_id: str
    user_sub: str
    issuer: str
    jwks_url: str
    access_token: str
    id_token: str


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto server on a free loopback port, for the whole session."""
    try:
        from moto.server import ThreadedMotoServer

        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        # start() waits forever when the server thread dies, so wait for it with a limit.
        starter = threading.Thread(target=server.start, daemon=True)
        starter.start()
        starter.join(timeout=15)
        if starter.is_alive():
            raise TimeoutError("moto did not start within 15 s")
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        httpx.get(f"{endpoint}/moto-api/data.json", timeout=5).raise_for_status()
    except Exception as exc:
        unavailable("moto server", exc)
        raise
    yield endpoint
    server.stop()


@pytest.fixture(scope="session")
def cognito(moto_endpoint: str) -> CognitoPool:
    """A user pool with an app client, groups `doctor` and `admin`, and a signed-in doctor."""
    idp: Any = boto3.client(
        "cognito-idp",
        endpoint_url=moto_endpoint,
        region_name=REGION,
        aws_access_key_id="testing",  # moto accepts any credentials
        aws_secret_access_key="testing",
    )
    pool_id = idp.create_user_pool(PoolName="carehub")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="carehub-api",
        ExplicitAuthFlows=[
            "ALLOW_ADMIN_USER_PASSWORD_AUTH",
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
        ],
        ReadAttributes=["email", "email_verified"],  # moto puts only these into ID tokens
    )["UserPoolClient"]["ClientId"]
    for group in ("doctor", "admin"):
        idp.create_group(UserPoolId=pool_id, GroupName=group)
    idp.admin_create_user(
        UserPoolId=pool_id,
        Username=USERNAME,
        UserAttributes=[
            {"Name": "email", "Value": EMAIL},
            {"Name": "email_verified", "Value": "true"},
        ],
        MessageAction="SUPPRESS",
    )
    idp.admin_set_user_password(
        UserPoolId=pool_id, Username=USERNAME, Password=PASSWORD, Permanent=True
    )
    idp.admin_add_user_to_group(UserPoolId=pool_id, Username=USERNAME, GroupName="doctor")
    user = idp.admin_get_user(UserPoolId=pool_id, Username=USERNAME)
    sub = next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
    tokens = idp.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": USERNAME, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    return CognitoPool(
        endpoint=moto_endpoint,
        pool_id=pool_id,
        client_id=client_id,
        user_sub=sub,
        # moto signs like Cognito (this issuer) but serves the JWKS itself, under the pool id.
        issuer=f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}",
        jwks_url=f"{moto_endpoint}/{pool_id}/.well-known/jwks.json",
        access_token=tokens["AccessToken"],
        id_token=tokens["IdToken"],
    )
