"""`make bench-coldstart`: the API function's cold start, as a new Lambda container has it.

A fresh Python process imports `carehub.entrypoints.aws.http` and serves its first request
(an API Gateway HTTP API event for `GET /health/ready`, which reads the table) through the
handler, against DynamoDB, SNS, SQS and S3 on a local moto server. Reported: the import
time, the first request's time (building the app and its wiring included), the process's
peak RSS, and the largest imports by cumulative time (`python -X importtime`).

moto answers locally, so the first request's AWS calls cost less here than in AWS (where
each is a TLS round trip); the import time and the memory carry over.

Environment:
  CAREHUB_BENCH_COLDSTART_RUNS  fresh processes measured; the median is reported (3)
"""

from __future__ import annotations

import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from tests.support.dynamodb import new_table
from tests.support.moto import REGION, aws_client, moto_process

from bench.report import run_environment, write_json

TARGET_SECONDS = 1.0
TARGET_MB = 150.0
ROOT = Path(__file__).resolve().parents[1]

# What runs in the fresh process: time the import, then the first request, then report.
_PROBE = """
import json, resource, sys, time
started = time.perf_counter()
from carehub.entrypoints.aws import http
imported = time.perf_counter()
event = json.loads(sys.argv[1])
response = http.handler(event, None)
served = time.perf_counter()
assert response["statusCode"] == 200, response
print(json.dumps({
    "import_s": imported - started,
    "first_request_s": served - imported,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def ready_event() -> dict[str, Any]:
    """API Gateway's HTTP API event (payload 2.0) for `GET /health/ready`."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/health/ready",
        "rawQueryString": "",
        "headers": {"host": "api.example", "accept": "application/json"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api-id",
            "domainName": "api.example",
            "http": {
                "method": "GET",
                "path": "/health/ready",
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "bench",
            },
            "requestId": "id",
            "routeKey": "$default",
            "stage": "$default",
            "time": "12/Mar/2020:19:03:58 +0000",
            "timeEpoch": 1583348638390,
        },
        "isBase64Encoded": False,
    }


def function_environment(endpoint: str, data_dir: str) -> dict[str, str]:
    """The API function's environment, as a deployment sets it, pointed at moto."""
    bucket = f"carehub-coldstart-{uuid.uuid4().hex[:8]}"
    aws_client("s3", endpoint).create_bucket(Bucket=bucket)
    return {
        "PATH": os.environ.get("PATH", ""),
        "AWS_ACCESS_KEY_ID": "bench",  # moto takes any credentials
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": REGION,
        "CAREHUB_AWS_ENDPOINT_URL": endpoint,
        "CAREHUB_DATABASE_URL": new_table(endpoint),
        "CAREHUB_OUTBOX_RELAY": "stream",
        # As deployed: the topology is declared once per deployment, not per cold start.
        "CAREHUB_BROKER_DECLARE": "false",
        "CAREHUB_BROKER_URL": f"sqs://?region={REGION}",
        "CAREHUB_BROKER_PREFIX": f"coldstart-{uuid.uuid4().hex[:8]}",
        "CAREHUB_STORAGE_URL": f"s3://{bucket}/carehub?region={REGION}",
        "CAREHUB_PUBLIC_URL": "https://api.clinic.example",
        # A fixed key for a throwaway table (a deployment takes its own from a secret store).
        "CAREHUB_SECRET_KEY": base64.b64encode(b"carehub-coldstart-bench-key-32by").decode(),
        "CAREHUB_DATA_DIR": data_dir,
        "CAREHUB_LOG_LEVEL": "WARNING",
    }


def cold_start(environment: dict[str, str]) -> dict[str, float]:
    """One fresh process: import the handler, serve one request."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(ready_event())],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"the cold start failed: {done.stderr[-3000:]}")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def largest_imports(environment: dict[str, str], count: int = 12) -> list[tuple[str, float]]:
    """Packages by cumulative import time (`-X importtime`), in seconds."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import carehub.entrypoints.aws.http"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    # Each package's first import (the line of its top-level module) includes everything it
    # imported; a package imported by another counts in both (cumulative times nest).
    by_package: dict[str, float] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|", 2)
        module = name.strip()
        if cumulative.strip().isdigit() and "." not in module and module != "carehub":
            by_package[module] = by_package.get(module, 0.0) + int(cumulative) / 1e6
    return sorted(by_package.items(), key=lambda item: item[1], reverse=True)[:count]


def main() -> None:
    console = Console()
    runs = int(os.environ.get("CAREHUB_BENCH_COLDSTART_RUNS", "3"))
    with (
        tempfile.TemporaryDirectory() as scratch,
        moto_process(Path(scratch) / "moto.log") as endpoint,
    ):
        samples = []
        for _ in range(runs):
            # A new table, topics and queues each time: a first deployment's first request.
            environment = function_environment(endpoint, scratch)
            samples.append(cold_start(environment))
        imports = largest_imports(environment)
    median = {key: statistics.median(s[key] for s in samples) for key in samples[0]}
    total = median["import_s"] + median["first_request_s"]

    table = Table(title=f"Lambda cold start (median of {runs} fresh processes)")
    for header in ("import s", "first request s", "total s", "peak RSS MB"):
        table.add_column(header, justify="right")
    table.add_row(
        f"{median['import_s']:.2f}",
        f"{median['first_request_s']:.2f}",
        f"{total:.2f}",
        f"{median['peak_rss_mb']:.0f}",
    )
    console.print(table)
    largest = Table(title="Largest imports (cumulative, -X importtime)")
    largest.add_column("package")
    largest.add_column("s", justify="right")
    for package, seconds in imports:
        largest.add_row(package, f"{seconds:.3f}")
    console.print(largest)
    checks = {
        f"cold start < {TARGET_SECONDS} s": total < TARGET_SECONDS,
        f"peak RSS < {TARGET_MB:.0f} MB": median["peak_rss_mb"] < TARGET_MB,
    }
    for name, met in checks.items():
        console.print(f"  {'[green]✓ met' if met else '[red]✗ missed'}[/]  {name}")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = write_json(
        "coldstart",
        stamp,
        {
            "environment": run_environment(),
            "samples": samples,
            "median": median,
            "total_s": total,
            "largest_imports": imports,
            "targets": checks,
        },
    )
    console.print(f"results: {path}")


if __name__ == "__main__":
    main()
