#!/usr/bin/env python3
"""`make bench`: the lattice next to the native baseline, measured in one run.

Started by scripts/bench.sh, which installs wrk, builds the native baseline and brings the
lattice up. This script loads the data set, runs every measurement, and writes
bench/results.json and the generated part of bench/RESULTS.md. It never fails on speed: it
prints figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
STATE = ROOT / ".lattice"
TARGET = Path(os.environ["CARGO_TARGET_DIR"]) / "release"
LATTICE_URL = "http://127.0.0.1:8000"
NATIVE_LISTEN = "127.0.0.1:8100"
NATIVE_URL = f"http://{NATIVE_LISTEN}"
BROKERS = "127.0.0.1:9092"
# The application's role connects only over TLS (scripts/postgres-tls.sh); env.sh names the CA.
PG = {
    "PGHOST": "127.0.0.1",
    "PGUSER": "movie",
    # The role's password: from PGPASSFILE, which scripts/env.sh sets.
    "PGSSLMODE": "verify-full",
    "PGSSLROOTCERT": os.environ["MOVIE_LATTICE_PG_CA_FILE"],
}

MOVIES = 10_000
RATINGS_PER_MOVIE = 10
CONNECTIONS = [1, 8, 32, 128]


def log(message: str) -> None:
    print(f"\033[1;34m==>\033[0m {message}", flush=True)


def run(*args: str, env: dict | None = None, check: bool = True, capture: bool = True) -> str:
    result = subprocess.run(
        args,
        env={**os.environ, **(env or {})},
        text=True,
        capture_output=capture,
        check=False,
    )
    if check and result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout if capture else ""


def psql(database: str, sql: str) -> str:
    return run("psql", "-qtA", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql, env=PG).strip()


def http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code
    except OSError:
        return None


def wait_until(what: str, check, timeout: float, interval: float = 0.02) -> float:
    """Polls `check` until true; returns when it became true (time.monotonic())."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return time.monotonic()
        time.sleep(interval)
    raise SystemExit(f"timed out after {timeout}s waiting for {what}")


# --- data set ----------------------------------------------------------------------------------

def load_data_set() -> dict:
    log(f"loading the data set: {MOVIES:,} movies, {MOVIES * RATINGS_PER_MOVIE:,} ratings")
    psql("movie_metadata", f"""
        INSERT INTO metadata (id, title, description, director)
        SELECT format('bench-movie-%s', lpad(i::text, 5, '0')), format('Benchmark Movie %s', i),
               'A movie of the benchmark data set.', format('Director %s', i % 100)
        FROM generate_series(0, {MOVIES - 1}) AS i
        ON CONFLICT (id) DO NOTHING;
        ANALYZE metadata;""")
    psql("movie_rating", f"""
        INSERT INTO ratings (record_type, record_id, user_id, value)
        SELECT 'movie', format('bench-movie-%s', lpad((i / {RATINGS_PER_MOVIE})::text, 5, '0')),
               format('bench-user-%s', i % {RATINGS_PER_MOVIE}), (i % 5) + 1
        FROM generate_series(0, {MOVIES * RATINGS_PER_MOVIE - 1}) AS i
        ON CONFLICT DO NOTHING;
        ANALYZE ratings;""")
    return {
        "movies": int(psql("movie_metadata", "SELECT count(*) FROM metadata WHERE id LIKE 'bench-movie-%'")),
        "ratings": int(psql("movie_rating", "SELECT count(*) FROM ratings WHERE record_id LIKE 'bench-movie-%'")),
    }


# --- HTTP ---------------------------------------------------------------------------------------

def wrk(url: str, connections: int, seconds: int) -> dict:
    threads = min(connections, os.cpu_count() or 2)
    output = run(
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(BENCH / "movie.lua"), url, env={"BENCH_MOVIES": str(MOVIES)},
    )
    line = next((l for l in output.splitlines() if l.startswith("BENCH_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no summary:\n{output}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    seconds_run = raw["duration_us"] / 1e6
    errors = sum(raw["errors"].values())
    lat = raw["latency_us"]
    return {
        "connections": connections,
        "requests": raw["requests"],
        "rps": round(raw["requests"] / seconds_run, 1),
        "p50_ms": lat["p50"] / 1000, "p90_ms": lat["p90"] / 1000,
        "p99_ms": lat["p99"] / 1000, "max_ms": lat["max"] / 1000,
        "errors": errors, "error_kinds": raw["errors"],
    }


def check_same_answers() -> None:
    """The two servers must answer the same bytes, or the comparison means nothing."""
    for movie in ("bench-movie-00042", "bench-movie-09999"):
        bodies = []
        for base in (LATTICE_URL, NATIVE_URL):
            with urllib.request.urlopen(f"{base}/movie?id={movie}", timeout=5) as response:
                bodies.append(response.read())
        if bodies[0] != bodies[1]:
            raise SystemExit(f"lattice and native answers differ for {movie}:\n{bodies[0]!r}\n{bodies[1]!r}")


def bench_http(seconds: int) -> list[dict]:
    rows = []
    for connections in CONNECTIONS:
        row = {"connections": connections}
        for name, base in (("lattice", LATTICE_URL), ("native", NATIVE_URL)):
            log(f"GET /movie through {name}: {connections} connection(s), {seconds}s")
            row[name] = wrk(base, connections, seconds)
        row["ratio"] = round(row["lattice"]["rps"] / row["native"]["rps"], 3) if row["native"]["rps"] else None
        rows.append(row)
    return rows


# --- the cost of tracing --------------------------------------------------------------------------

TRACING_CONNECTIONS = 32


def restart_host(tracing: str) -> None:
    """Restarts the host with span export on or off (MOVIE_LATTICE_TRACING), then waits until
    wadm has placed the app on it again and /movie answers."""
    log(f"restarting the host with tracing {tracing}")
    run("bash", "-c", "source scripts/env.sh && stop_pid host && stop_stray_providers")
    run("bash", str(ROOT / "scripts" / "lattice.sh"), env={"MOVIE_LATTICE_TRACING": tracing})
    probe = f"{LATTICE_URL}/movie?id=bench-movie-00001"
    wait_until("the app on the restarted host", lambda: http_status(probe, 1.0) == 200, 180, 0.2)
    time.sleep(5)  # let every provider finish starting


def bench_tracing(seconds: int) -> dict:
    """GET /movie at 32 connections with span export off, then on (the default sampling), each
    on a freshly started host; the cost is the throughput lost."""
    rows = {}
    try:
        for tracing in ("off", "on"):
            restart_host(tracing)
            log(f"GET /movie with tracing {tracing}: {TRACING_CONNECTIONS} connections, {seconds}s")
            rows[tracing] = wrk(LATTICE_URL, TRACING_CONNECTIONS, seconds)
    finally:
        if "on" not in rows:
            restart_host("on")
    off, on = rows["off"]["rps"], rows["on"]["rps"]
    rows["cost_percent"] = round(100 * (off - on) / off, 1) if off else None
    return rows


# --- Kafka ---------------------------------------------------------------------------------------

def ingester(*args: str) -> str:
    return run(str(TARGET / "movie-ingester"), "--brokers", BROKERS, *args)


def write_events(path: Path, prefix: str, count: int) -> None:
    with path.open("w") as out:
        for i in range(count):
            out.write(json.dumps({
                "userId": f"user-{i % 100}", "recordId": f"{prefix}-{i // 100}",
                "recordType": "movie", "value": i % 5 + 1, "providerId": "bench", "eventType": "put",
            }) + "\n")


def applied(prefix: str) -> int:
    return int(psql("movie_rating", f"SELECT count(*) FROM ratings WHERE record_id LIKE '{prefix}-%'"))


def time_ingestion(topic: str, prefix: str, count: int, timeout: float) -> dict:
    events = STATE / "tmp" / f"{prefix}.jsonl"
    write_events(events, prefix, count)
    start = time.monotonic()
    ingester("send", str(events), "--topic", topic)
    produced = time.monotonic()
    done = wait_until(f"{count} events applied", lambda: applied(prefix) >= count, timeout, 0.2)
    events.unlink()
    seconds = done - start
    return {
        "events": count, "seconds": round(seconds, 2), "produce_seconds": round(produced - start, 2),
        "events_per_s": round(count / seconds, 1),
    }


def bench_kafka(count: int, run_id: str) -> dict:
    log(f"Kafka ingestion through the lattice: {count:,} events to 'ratings'")
    lattice = time_ingestion("ratings", f"kbench-{run_id}-lattice", count, timeout=1800)
    log(f"Kafka ingestion through the native consumer: {count:,} events")
    topic = f"bench.native.{run_id}"
    ingester("topics", topic, "--partitions", "3")
    consumer = subprocess.Popen(
        [str(TARGET / "movie-native"), "consume", "--brokers", BROKERS, "--topic", topic,
         "--group", f"bench-native-{run_id}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        native = time_ingestion(topic, f"kbench-{run_id}-native", count, timeout=600)
    finally:
        consumer.send_signal(signal.SIGINT)
        consumer.wait(timeout=30)
    ratio = round(lattice["events_per_s"] / native["events_per_s"], 3)
    return {"lattice": lattice, "native": native, "ratio": ratio}


# --- deploy time and memory ----------------------------------------------------------------------

def bench_deploy() -> dict:
    log("deploy time: wash app undeploy, then wash app deploy to the first 200 on /movie")
    probe = f"{LATTICE_URL}/movie?id=bench-movie-00001"
    run("wash", "app", "undeploy", "movie-lattice")
    wait_until("the app to stop answering", lambda: http_status(probe, 0.5) != 200, 120, 0.1)
    time.sleep(3)  # let the host finish stopping the providers
    start = time.monotonic()
    run("wash", "app", "deploy", str(ROOT / "wadm.yaml"), "--replace")
    accepted = time.monotonic()
    first = wait_until("the first 200 on /movie", lambda: http_status(probe, 1.0) == 200, 120)
    return {"seconds_to_first_200": round(first - start, 2), "deploy_command_seconds": round(accepted - start, 2)}


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def pids_matching(pattern: str) -> list[int]:
    out = run("pgrep", "-f", pattern, check=False)
    return [int(p) for p in out.split() if int(p) != os.getpid()]


def idle_memory(native_pid: int) -> dict:
    log("idle RSS of every process of the stack")
    time.sleep(5)
    stack = {}
    for name in ("host", "wadm", "nats", "kafka"):
        pid_file = STATE / "pids" / f"{name}.pid"
        if pid_file.exists():
            stack[name] = rss_kib(int(pid_file.read_text().strip()))
    # The host runs providers from its cache, named after the archive (build/NAME.par.gz).
    stack["sqldb-postgres provider"] = sum(rss_kib(p) for p in pids_matching("sqldb_postgres_par"))
    stack["messaging-kafka provider"] = sum(rss_kib(p) for p in pids_matching("messaging_kafka_par"))
    postgres = [int(p) for p in run("pgrep", "-u", "postgres", check=False).split()]
    stack["postgres (all backends)"] = sum(rss_kib(p) for p in postgres)
    return {
        "lattice_kib": stack,
        "lattice_total_kib": sum(v for k, v in stack.items() if not k.startswith("postgres") and k != "kafka"),
        "native_server_kib": rss_kib(native_pid),
    }


# --- context -------------------------------------------------------------------------------------

def version_of(*args: str) -> str:
    """The first version number a command prints about itself."""
    try:
        out = subprocess.run(args, text=True, capture_output=True, check=False)
    except OSError:
        return "unknown"
    match = re.search(r"\d+\.\d+(\.\d+)?", out.stdout + out.stderr)
    return match.group(0) if match else "unknown"


def locked_version(lock: Path, crate: str) -> str:
    match = re.search(rf'name = "{crate}"\nversion = "([^"]+)"', lock.read_text())
    return match.group(1) if match else "unknown"


def context() -> dict:
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": run("git", "-C", str(ROOT), "rev-parse", "--short", "HEAD", check=False).strip(),
        "machine": f"{os.cpu_count()} cores ({cpu}), {mem_kib // 1024 // 1024} GiB, {platform.system()} {platform.release()}",
        "versions": {
            "rustc": version_of("rustc", "--version"),
            "wasmcloud-host": locked_version(ROOT / "Cargo.lock", "wasmcloud-host"),
            "wadm": locked_version(ROOT / "Cargo.lock", "wadm"),
            "wash": version_of("wash", "--version"),
            "nats-server": version_of("nats-server", "--version"),
            "tansu": version_of("tansu", "--version"),
            "postgres": version_of("psql", "--version"),
            "wrk": version_of("wrk", "--version"),
        },
    }


# --- report --------------------------------------------------------------------------------------

def markdown(results: dict) -> str:
    c = results["context"]
    lines = [
        f"Run of {c['date']} on commit `{c['commit']}`; machine: {c['machine']}.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in c["versions"].items()) + ".",
        f"Data set: {results['data_set']['movies']:,} movies, {results['data_set']['ratings']:,} ratings. "
        f"HTTP: wrk, {results['seconds_per_row']} s per row, random movie ids.",
        "",
        "### GET /movie?id= (lattice ingress vs native axum baseline)",
        "",
        "| conns | lattice req/s | p50 | p90 | p99 | max | errors | native req/s | p50 | p90 | p99 | max | errors | lattice/native |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results["http"]:
        cells = [str(row["connections"])]
        for side in ("lattice", "native"):
            r = row[side]
            cells += [f"{r['rps']:,.0f}", f"{r['p50_ms']:.2f} ms", f"{r['p90_ms']:.2f} ms",
                      f"{r['p99_ms']:.2f} ms", f"{r['max_ms']:.1f} ms", str(r["errors"])]
        cells.append(f"{row['ratio']:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    t = results["tracing"]
    lines += [
        "",
        f"### The cost of tracing (GET /movie, {TRACING_CONNECTIONS} connections, each on a freshly started host)",
        "",
        "| span export | req/s | p50 | p99 | errors |",
        "|---|---:|---:|---:|---:|",
    ]
    for side, label in (("off", "off"), ("on", "on, every trace kept (default sampling)")):
        r = t[side]
        lines.append(f"| {label} | {r['rps']:,.0f} | {r['p50_ms']:.2f} ms | {r['p99_ms']:.2f} ms | {r['errors']} |")
    lines.append(f"| **throughput cost** | **{t['cost_percent']}%** | | | |")
    k = results["kafka"]
    lines += [
        "",
        "### Kafka ingestion (produce, then wait until every event is applied in Postgres)",
        "",
        "| path | events | seconds | events/s |",
        "|---|---:|---:|---:|",
        f"| lattice (Kafka provider → rating component → Postgres provider) | {k['lattice']['events']:,} | {k['lattice']['seconds']} | {k['lattice']['events_per_s']:,.0f} |",
        f"| native (rdkafka, batched upserts) | {k['native']['events']:,} | {k['native']['seconds']} | {k['native']['events_per_s']:,.0f} |",
        f"| lattice/native | | | {k['ratio']:.2f} |",
        "",
        "### Deploy and memory",
        "",
        f"- `wash app deploy wadm.yaml` to the first 200 on `/movie`: **{results['deploy']['seconds_to_first_200']} s** "
        f"(the command itself returns after {results['deploy']['deploy_command_seconds']} s).",
        "- Idle RSS: " + ", ".join(f"{name} {kib / 1024:.0f} MiB" for name, kib in results["memory"]["lattice_kib"].items())
        + f"; lattice processes (host, wadm, NATS, providers) {results['memory']['lattice_total_kib'] / 1024:.0f} MiB in all; "
        f"native server {results['memory']['native_server_kib'] / 1024:.0f} MiB.",
    ]
    return "\n".join(lines)


def write_report(results: dict) -> None:
    (BENCH / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    report = BENCH / "RESULTS.md"
    begin, end = "<!-- results:begin (generated by make bench) -->", "<!-- results:end -->"
    text = report.read_text() if report.exists() else f"# Benchmark results\n\n{begin}\n{end}\n"
    if begin not in text or end not in text:
        text += f"\n{begin}\n{end}\n"
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    report.write_text(f"{head}{begin}\n{markdown(results)}\n{end}{tail}")
    log(f"wrote {report.relative_to(ROOT)} and bench/results.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10, help="duration of each HTTP row")
    parser.add_argument("--events", type=int, default=100_000, help="Kafka events per path")
    args = parser.parse_args()

    results = {"context": context(), "seconds_per_row": args.seconds}
    results["data_set"] = load_data_set()
    native = subprocess.Popen(
        [str(TARGET / "movie-native"), "serve", "--listen", NATIVE_LISTEN],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_until("the native server", lambda: http_status(f"{NATIVE_URL}/movie?id=bench-movie-00000") == 200, 30)
        check_same_answers()
        results["http"] = bench_http(args.seconds)
        results["tracing"] = bench_tracing(args.seconds)
        results["kafka"] = bench_kafka(args.events, dt.datetime.now().strftime("%Y%m%d%H%M%S"))
        results["deploy"] = bench_deploy()
        results["memory"] = idle_memory(native.pid)
    finally:
        native.terminate()
        native.wait(timeout=30)
    write_report(results)
    print()
    print(markdown(results))


if __name__ == "__main__":
    sys.exit(main())
