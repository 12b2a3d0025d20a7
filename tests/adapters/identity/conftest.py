"""A real moto server with a Cognito user pool whose tokens the OIDC verifier checks."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.support.moto import REGION, aws_client

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
def cognito(moto_endpoint: str) -> CognitoPool:
    """A user pool with an app client, groups `doctor` and `admin`, and a signed-in doctor."""
    idp = aws_client("cognito-idp", moto_endpoint)
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
