"""Routers placed first for the paths under their prefix answer as they did where they
were included: the same route, its 405 for another method, 404 for a path none serves;
the app's other paths and its OpenAPI document are as before."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, FastAPI

from carehub.web.prefixed_routes import PrefixedRoutes

others = APIRouter(prefix="/things")
fhir = APIRouter(prefix="/fhir/R4/Thing")
bundles = APIRouter(prefix="/fhir/R4")


@others.get("/{thing_id}")
async def read_other(thing_id: str) -> dict[str, str]:
    return {"served": "other", "id": thing_id}


@fhir.get("/{thing_id}")
async def read_fhir(thing_id: str) -> dict[str, str]:
    return {"served": "fhir", "id": thing_id}


@bundles.post("")
async def take_bundle() -> dict[str, str]:
    return {"served": "bundle"}


def app_with_prefixed_routes() -> FastAPI:
    app = FastAPI()
    app.include_router(others)
    first = len(app.router.routes)
    app.include_router(fhir)
    app.include_router(bundles)
    app.router.routes.insert(0, PrefixedRoutes("/fhir/R4", app.router.routes[first:]))
    return app


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_paths_under_the_prefix_reach_their_routes() -> None:
    async with client(app_with_prefixed_routes()) as http:
        read = await http.get("/fhir/R4/Thing/a1")
        assert read.json() == {"served": "fhir", "id": "a1"}
        bundle = await http.post("/fhir/R4")
        assert bundle.json() == {"served": "bundle"}
        other = await http.get("/things/b2")
        assert other.json() == {"served": "other", "id": "b2"}


async def test_a_wrong_method_or_path_is_answered_as_without_them() -> None:
    async with client(app_with_prefixed_routes()) as http:
        wrong_method = await http.delete("/fhir/R4/Thing/a1")
        assert wrong_method.status_code == 405
        assert wrong_method.headers["allow"] == "GET"
        assert (await http.get("/fhir/R4/Nothing/a/b")).status_code == 404
        assert (await http.get("/fhir/R4x/Thing/a1")).status_code == 404


def test_the_openapi_document_lists_each_route_once() -> None:
    paths = app_with_prefixed_routes().openapi()["paths"]
    assert sorted(paths) == ["/fhir/R4", "/fhir/R4/Thing/{thing_id}", "/things/{thing_id}"]
    assert list(paths["/fhir/R4/Thing/{thing_id}"]) == ["get"]
