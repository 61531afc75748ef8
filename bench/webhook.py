"""Webhook throughput and latency under gunicorn, against a bare endpoint on the same server.

Starts gunicorn on 127.0.0.1 with the real app (a fresh SQLite database, the shipped
flows), then sends signed inbound messages from many fictional residents:

1. closed loop, as fast as the server answers: throughput of the bare endpoint (fixed
   TwiML, no work) and of /twilio/messages (signature, engine, one SQLite transaction);
   every webhook request is a new MessageSid, and an answer that is not TwiML, or is the
   service's own "something failed" text, stops the bench;
2. open loop at a steady 100 messages per second: latency percentiles.

Targets: webhook throughput at least half the bare endpoint's; p99 under 50 ms at 100/s.

    .venv/bin/python bench/webhook.py            # the figures
    .venv/bin/python bench/webhook.py --split    # and where a message's CPU goes

``--split`` also measures, in each worker, the CPU spent inside the Flask app, and
prints it beside the server's whole CPU per message: the rest is gunicorn's HTTP
handling and the kernel's. Measuring costs each request a little, so its rates and
ratio are not the ones to quote.

The server is what production runs (docs/deploy.md): sync workers, 2 x cores + 1. That
is also the best measured for the webhook on two cores (messages/s, bare / webhook):
2 sync workers 5,700 / 1,570, 3: 6,000 / 1,640, 5: 5,750 / 1,700, 8: 5,740 / 1,720;
gthread, 2 x 4 threads: 7,000 / 1,300, 3 x 4: 6,550 / 1,580. Threads give the bare
endpoint keep-alive but the webhook less: the GIL, and one SQLite writer at a time. On a
slower two-core VM (with the bare endpoint under /twilio/ and TwiML by MessagingResponse),
2 sync workers gave 2,300 / 690 (ratio 0.30), 3 gave 2,000 / 610 (0.30) and 5 gave
1,600 / 570 (0.35): fewer workers serve more, but the bare endpoint gains more from them.
Measure again on the machine that will serve. The bare endpoint sits under /twilio/
(bench/webhook_app.py), so it opens no cookie session either.

Both cores are busy in both runs, so the ratio comes down to CPU per message, which the
bench prints for the server (gunicorn's master and workers, from /proc) and the load
generator; it varies far less than the rates when something else runs on the machine.
"""

from __future__ import annotations

import http.client
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from cpu_split import read_totals
from twilio.request_validator import RequestValidator

from outreach.service.content import load_flows

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-auth-token"
PUBLIC = "http://127.0.0.1"
# gunicorn's advice for CPU-bound work, as in production: (2 x cores) + 1 sync workers.
WORKERS = int(os.environ.get("BENCH_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
THREADS = int(os.environ.get("BENCH_THREADS", "1"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = 3
RATE = 100
#: The service's own "something failed" answer, as it stands in the TwiML: a 200 too, so
#: every answer is searched for it (a handler that always fails must not look fast).
FAILED = escape(load_flows(ROOT / "flows").deployment.texts["failed"])
SCRIPT = ["hola", "1", "2", "si", "3", "Huehuetenango", "1", "no", "menu", "2", "1"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    port: int,
    database: Path,
    split: Path | None = None,
    extra: dict[str, str] | None = None,
    nice: int = 0,
    workers: int = WORKERS,
) -> subprocess.Popen[bytes]:
    """gunicorn as production runs it; ``extra``: more environment (e.g. settings);
    ``nice``: run it at that lower CPU priority."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")},
        "OUTREACH_DATABASE": str(database),
        "OUTREACH_TWILIO_AUTH_TOKEN": TOKEN,
        "OUTREACH_PUBLIC_URL": f"{PUBLIC}:{port}",
        "OUTREACH_PSEUDONYM_KEY": "bench-pseudonym-key-of-at-least-32-bytes",
        "OUTREACH_LOG_LEVEL": "WARNING",
        **({"BENCH_SPLIT_DIR": str(split)} if split else {}),
        **(extra or {}),
    }
    command = [
        *(["nice", "-n", str(nice)] if nice else []),
        str(Path(sys.executable).parent / "gunicorn"), "--chdir", str(ROOT / "bench"),
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(THREADS),
        "--log-level", "warning", "webhook_app:app",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit("gunicorn did not start")


class Client:
    """One keep-alive connection, signing each message as Twilio would."""

    def __init__(self, port: int, number: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.validator = RequestValidator(TOKEN)
        self.address = f"+1500555{number:04d}"  # fictional numbers only
        self.sent = 0

    def post(self, path: str, body: str) -> float:
        self.sent += 1
        params = {
            "MessageSid": f"SM{self.address[1:]}{self.sent:018d}",
            "From": self.address,
            "To": "+15005550001",
            "Body": body,
            "NumMedia": "0",
        }
        signature = self.validator.compute_signature(f"{PUBLIC}:{self.port}{path}", params)
        data = urlencode(params)
        start = time.perf_counter()
        self.connection.request(
            "POST",
            path,
            body=data,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature,
            },
        )
        response = self.connection.getresponse()
        payload = response.read()
        elapsed = time.perf_counter() - start
        if response.status != 200 or b"<Response" not in payload or FAILED.encode() in payload:
            raise RuntimeError(f"unexpected answer {response.status}: {payload[:200]!r}")
        return elapsed


def closed_loop(port: int, path: str, seconds: float, first_number: int) -> float:
    """Messages per second with CLIENTS senders each waiting for its answer."""
    counts = [0] * CLIENTS
    deadline = time.perf_counter() + seconds

    def run(index: int) -> None:
        client = Client(port, first_number + index)
        turn = 0
        while time.perf_counter() < deadline:
            client.post(path, SCRIPT[turn % len(SCRIPT)])
            turn += 1
            counts[index] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


WRK_SCRIPT = """
-- Generated by bench/webhook.py: replays pre-signed requests, each once.
local requests = dofile("%(requests)s")
local counter = 0
local step = 1
local threads = {}
function setup(thread)
  thread:set("first", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  position = first + 1
  step = %(threads)d
end
function request()
  local r = requests[position]
  position = position + step
  if position > #requests then position = first + 1 end
  return r
end
-- The service's own "something failed" answer is a 200 too: count it as an error, and
-- so is an answer that is not TwiML.
failed = 0
local marker = %(failed)s
function response(status, headers, body)
  if not body or string.find(body, marker, 1, true)
     or not string.find(body, "<Response", 1, true) then
    failed = failed + 1
  end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("failed") end
  io.write(string.format("failed-answers: %%d\\n", total))
end
"""


def lua_string(text: str) -> str:
    """A quoted Lua string (long brackets would turn CR LF into LF)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r", "\\r").replace("\n", "\\n") + '"'


def wrk_requests(port: int, path: str, count: int, first_number: int, folder: Path) -> Path:
    """A Lua file of ``count`` signed requests from 200 fictional residents."""
    validator = RequestValidator(TOKEN)
    lines = ["return {"]
    turns: dict[int, int] = {}
    for n in range(count):
        resident = first_number + n % 200
        turn = turns.get(resident, 0)
        turns[resident] = turn + 1
        address = f"+1500555{resident:04d}"
        params = {
            "MessageSid": f"SM{resident:06d}{turn:026d}",
            "From": address,
            "To": "+15005550001",
            "Body": SCRIPT[turn % len(SCRIPT)],
            "NumMedia": "0",
        }
        body = urlencode(params)
        signature = validator.compute_signature(f"{PUBLIC}:{port}{path}", params)
        raw = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\n"
            f"X-Twilio-Signature: {signature}\r\nContent-Length: {len(body)}\r\n\r\n{body}"
        )
        lines.append(lua_string(raw) + ",")
    lines.append("}")
    target = folder / f"requests-{path.strip('/').replace('/', '-')}-{first_number}.lua"
    target.write_text("\n".join(lines), encoding="utf-8")
    return target


def wrk_throughput(
    port: int, path: str, requests: Path, folder: Path, seconds: float, unique: int | None = None
) -> float:
    """Requests per second; ``unique``: how many distinct requests the file holds, when
    none may be sent twice (a repeated MessageSid is a retry, answered from the store)."""
    threads = 2
    script = folder / f"{requests.stem}.wrk.lua"
    script.write_text(
        WRK_SCRIPT % {"requests": requests, "threads": threads, "failed": lua_string(FAILED)},
        encoding="utf-8",
    )
    run = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{CLIENTS}",
            f"-d{seconds:.0f}s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    failed = next(
        (int(row.split()[1]) for row in run.stdout.splitlines()
         if row.startswith("failed-answers:")), 0,
    )  # fmt: skip
    if "Non-2xx" in run.stdout or "Socket errors" in run.stdout or failed:
        raise RuntimeError("the server answered with errors:\n" + run.stdout)
    sent = next(int(row.split()[0]) for row in run.stdout.splitlines() if " requests in " in row)
    if unique is not None and sent > unique:
        raise RuntimeError(f"{sent} requests sent, only {unique} distinct: raise the count")
    line = next(row for row in run.stdout.splitlines() if row.startswith("Requests/sec:"))
    return float(line.split()[1])


def open_loop(port: int, path: str, rate: int, seconds: float, first_number: int) -> list[float]:
    """Latencies of messages sent at a steady rate, from many residents."""
    latencies: list[float] = []
    lock = threading.Lock()
    total = int(rate * seconds)
    senders = 16
    clients = [Client(port, first_number + i) for i in range(senders)]
    start = time.perf_counter()

    def run(index: int) -> None:
        client = clients[index]
        for n in range(index, total, senders):
            scheduled = start + n / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            client.post(path, SCRIPT[(n // senders) % len(SCRIPT)])
            # From when the message was due, not when it was sent: a stalled server
            # delays the messages queued behind it, and that delay must show.
            with lock:
                latencies.append(time.perf_counter() - scheduled)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by gunicorn's master and its workers
    (Linux /proc; 0 elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a process that just ended
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += int(fields[11]) + int(fields[12])
    return total / tick


def client_cpu() -> float:
    """CPU seconds used by the load generator: this process (the Python clients) and
    the children it waited for (wrk)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Cost:
    """CPU per message of one endpoint, summed over the rounds: what the ratio comes
    down to when the cores are saturated, and far less noisy on a shared machine than
    the rates are. With ``split``, also the CPU spent inside the Flask app."""

    def __init__(self, pid: int, path: str, split: Path | None = None) -> None:
        self.pid = pid
        self.path = path
        self.split = split
        self.server = self.client = self.messages = 0.0
        self.app = self.app_requests = 0.0

    def measure(self, run: Callable[..., float], *args: Any) -> float:
        """``run(*args)``, which returns messages per second over SECONDS."""
        app_requests, app = self.inside_app()
        server, client = server_cpu(self.pid), client_cpu()
        rate = run(*args)
        self.server += server_cpu(self.pid) - server
        self.client += client_cpu() - client
        self.messages += rate * SECONDS
        requests, seconds = self.inside_app()
        self.app_requests += requests - app_requests
        self.app += seconds - app
        return rate

    def inside_app(self) -> tuple[float, float]:
        """Requests and CPU seconds inside the app so far (``split`` only, else zeros),
        read once the workers have written their last request's figures."""
        if self.split is None:
            return 0.0, 0.0
        time.sleep(0.2)
        return read_totals(self.split, self.path)

    def per_message(self) -> tuple[float, float]:
        """Microseconds of server and of load-generator CPU per message."""
        return self.server / self.messages * 1e6, self.client / self.messages * 1e6

    def inside_app_per_message(self) -> float:
        """Microseconds of CPU per message inside the Flask app (``split`` only)."""
        return self.app / self.app_requests * 1e6 if self.app_requests else 0.0


def main() -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        split = Path(tmp) / "split" if "--split" in sys.argv[1:] else None
        if split:
            split.mkdir()
        server = start_server(port, Path(tmp) / "bench.sqlite3", split)
        try:
            closed_loop(port, "/twilio/bare", 1, 9000)  # warm up both
            closed_loop(port, "/twilio/messages", 1, 9100)
            # Alternate the two, several rounds, and take medians: the machine's noise
            # then falls on both alike.
            bares, webhooks = [], []
            bare_cost = Cost(server.pid, "/twilio/bare", split)
            hook_cost = Cost(server.pid, "/twilio/messages", split)
            wrk = shutil.which("wrk")
            for round_ in range(ROUNDS):
                if wrk:
                    # wrk (C) spends far less of the two cores than a Python client would.
                    folder = Path(tmp)
                    count = int(SECONDS * 8000)
                    bare_file = wrk_requests(port, "/twilio/bare", 2000, 1000, folder)
                    hook_file = wrk_requests(
                        port, "/twilio/messages", count, 2000 + 1000 * round_, folder
                    )
                    bare_run = bare_cost.measure(
                        wrk_throughput, port, "/twilio/bare", bare_file, folder, SECONDS
                    )
                    hook_run = hook_cost.measure(
                        wrk_throughput, port, "/twilio/messages", hook_file, folder, SECONDS, count
                    )
                else:
                    first = 1000 + 100 * round_
                    bare_run = bare_cost.measure(closed_loop, port, "/twilio/bare", SECONDS, first)
                    hook_run = hook_cost.measure(
                        closed_loop, port, "/twilio/messages", SECONDS, first + 1000
                    )
                bares.append(bare_run)
                webhooks.append(hook_run)
            bare, webhook = statistics.median(bares), statistics.median(webhooks)
            latencies = open_loop(port, "/twilio/messages", RATE, SECONDS, 3000)
        finally:
            server.terminate()
            server.wait(timeout=30)
    p50, p99 = percentile(latencies, 0.50) * 1000, percentile(latencies, 0.99) * 1000
    generator = "wrk" if shutil.which("wrk") else "python threads (install wrk for less noise)"
    print(
        f"gunicorn: {WORKERS} workers x {THREADS} threads; load: {generator}, {CLIENTS} "
        f"connections, {ROUNDS} rounds of {SECONDS:.0f} s; {os.cpu_count()} cores shared"
    )
    print(
        f"bare endpoint (fixed TwiML):      {bare:8.0f} messages/s  (rounds: "
        f"{', '.join(f'{b:.0f}' for b in bares)})"
    )
    print(
        f"/twilio/messages (full turn):     {webhook:8.0f} messages/s  (rounds: "
        f"{', '.join(f'{w:.0f}' for w in webhooks)})"
    )
    print(f"ratio webhook / bare:             {webhook / bare:8.2f}   (target >= 0.50)")
    (bare_server, bare_client), (hook_server, hook_client) = (
        bare_cost.per_message(),
        hook_cost.per_message(),
    )
    print(
        f"CPU per message, server + load:   bare {bare_server:4.0f} + {bare_client:3.0f} us,"
        f" webhook {hook_server:4.0f} + {hook_client:3.0f} us: ratio at full cores "
        f"{(bare_server + bare_client) / (hook_server + hook_client):4.2f}"
    )
    if split:
        bare_app, hook_app = bare_cost.inside_app_per_message(), hook_cost.inside_app_per_message()
        print(
            f"of the server's CPU, inside the app:  bare {bare_app:4.0f} us, webhook "
            f"{hook_app:4.0f} us; gunicorn and the kernel: bare {bare_server - bare_app:4.0f}"
            f" us, webhook {hook_server - hook_app:4.0f} us (--split: rates not to quote)"
        )
    print(
        f"at {RATE}/s ({len(latencies)} messages):  p50 {p50:6.1f} ms   p99 {p99:6.1f} ms"
        f"   max {max(latencies) * 1000:6.1f} ms   (target p99 < 50 ms)"
    )
    print(f"mean latency at {RATE}/s:            {statistics.mean(latencies) * 1000:6.1f} ms")
    ok = webhook / bare >= 0.5 and p99 < 50
    print("PASS" if ok else "FAIL")


if __name__ == "__main__":
    main()
