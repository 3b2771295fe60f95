"""The load generator the HTTP benchmarks share, so that every server is driven the same way.

Each respondent has a link (a survey page). One phase GETs every page (the form, its CSRF
cookie and token); the next POSTs every answer with that cookie and token. K client threads
take links from one queue until it is empty or the phase's time is up, and every request is
timed on its own.

The generator shares the machine's 2 cores with the servers it measures, so it must cost
little: one short-lived connection per request (gunicorn's sync workers close it after every
response anyway) written and read with bare sockets: about 170 us of CPU per request here,
against about 290 us through `http.client` (`_stack.Client`), whose header parsing makes the
difference. Each phase also reports the CPU seconds the
generator, the server's workers and the whole machine used, so a reader can see whether the
figures measure the server or the generator.

Not a benchmark itself: `make bench` runs every bench/*.py, and this one just says so.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import _stack  # the helpers sit next to this module (the benchmarks put bench/ on sys.path)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
COMMENTS = [
    "Quick answer and the engineer knew the product well.",
    "It took three emails before anyone understood the problem.",
    "Fine overall, though the invoice portal is still confusing.",
]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- the client -----------------------------------------------------------------------------------


class Client:
    """HTTP/1.1 over one fresh loopback connection per request, with `Connection: close`:
    the same requests `_stack.Client` sends to a sync gunicorn, for a fraction of its CPU.
    Keeps the cookies it was given, like `_stack.Client`."""

    def __init__(self, port: int, timeout: float = 30) -> None:
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.host = f"127.0.0.1:{port}"

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> _stack.Reply:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        message = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")
        started = time.perf_counter()
        with socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout) as sock:
            sock.sendall(message)
            chunks = []
            while data := sock.recv(262144):
                chunks.append(data)
        seconds = time.perf_counter() - started
        return self._reply(b"".join(chunks), seconds)

    def _reply(self, raw: bytes, seconds: float) -> _stack.Reply:
        head, _, content = raw.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers: dict[str, str] = {}
        given: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            name, value = name.strip(), value.strip()
            if name.lower() == "set-cookie":
                cookie, _, rest = value.partition("=")
                given[cookie.strip()] = rest.split(";", 1)[0]
            headers[name] = value
        if headers.get("Transfer-Encoding", "").lower() == "chunked":
            content = dechunk(content)
        self.cookies.update(given)
        status = int(status_line.split()[1]) if status_line.count(" ") else 0
        return _stack.Reply(status, headers, given, content, seconds)

    def close(self) -> None:
        """Nothing stays open between requests; here to match `_stack.Client`."""


def dechunk(content: bytes) -> bytes:
    out: list[bytes] = []
    position = 0
    while True:
        end = content.find(b"\r\n", position)
        size = int(content[position:end].split(b";", 1)[0] or b"0", 16) if end >= 0 else 0
        if size == 0:
            return b"".join(out)
        out.append(content[end + 2 : end + 2 + size])
        position = end + 2 + size + 2


# --- links and steps ------------------------------------------------------------------------------


@dataclass
class Link:
    """One respondent: the page they GET then POST, and what the GET gave them."""

    path: str
    forwarded_for: str = ""  # the respondent's address, as the reverse proxy in front would pass it
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""
    fetched: bool = False


def respondent_address(index: int) -> str:
    """A distinct address per respondent, from 198.18.0.0/15 (RFC 2544: set aside for benchmarks).
    Only ever a header value: no traffic goes there."""
    return f"198.{18 + (index >> 16) % 2}.{(index >> 8) % 256}.{index % 256}"


def links_for(paths: Sequence[str]) -> list[Link]:
    return [Link(path, respondent_address(n)) for n, path in enumerate(paths)]


def _headers(link: Link, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    headers = dict(extra or {})
    if link.forwarded_for:
        headers["X-Forwarded-For"] = link.forwarded_for
    return headers


Step = Callable[[Client, Link, int], "str | None"]
"""One request for one link; None when it went as expected, else what went wrong."""


def get_form(client: Client, link: Link, index: int) -> str | None:
    """GET the page: keep its cookies and the form's CSRF token for the POST."""
    client.cookies = {}
    reply = client.request("GET", link.path, headers=_headers(link))
    link.cookies, link.csrf = dict(client.cookies), _stack.csrf_from(reply.body)
    link.fetched = reply.status == 200
    return None if link.fetched else f"GET {link.path}: HTTP {reply.status} {reply.body[:200]!r}"


Fields = Callable[[int], dict[str, str]]
Accepted = Callable[[Link, _stack.Reply], bool]


def post_form(fields: Fields, accepted: Accepted) -> Step:
    """POST `fields(index)` with the link's cookies and CSRF token; `accepted` judges the reply."""

    def post(client: Client, link: Link, index: int) -> str | None:
        client.cookies = dict(link.cookies)
        form = {**fields(index), "csrfmiddlewaretoken": link.csrf}
        reply = client.request("POST", link.path, urlencode(form).encode(), _headers(link, FORM))
        if accepted(link, reply):
            return None
        return f"POST {link.path}: HTTP {reply.status} {reply.headers.get('Location', '')} {reply.body[:200]!r}"

    return post


def redirected_to(suffix: str) -> Accepted:
    """The POST was taken: a redirect to `<the page's path><suffix>`."""

    def accepted(link: Link, reply: _stack.Reply) -> bool:
        return reply.status == 302 and reply.headers.get("Location", "").endswith(link.path + suffix)

    return accepted


def redirected_under(prefix: str) -> Accepted:
    """The POST was taken: a redirect to a URL whose path starts with `prefix`."""

    def accepted(link: Link, reply: _stack.Reply) -> bool:
        return reply.status == 302 and urlsplit(reply.headers.get("Location", "")).path.startswith(prefix)

    return accepted


# --- CPU accounting -------------------------------------------------------------------------------


def _process_cpu(pid: int, *, children: bool = False) -> float:
    """CPU seconds (user + system) a process has used, with ``children`` also those of its exited
    children it has reaped; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if children else 0)
    return ticks / CLOCK_TICKS


def _database_cpu() -> float:
    """CPU seconds used by every PostgreSQL process on the machine (its backends, WAL writer,
    checkpointer...), and by the backends that have exited (counted by the postmaster, their
    parent): the database's share of a request, which the servers' own CPU leaves out. Other
    databases on the same server count too: the benchmarks run alone."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                is_postgres = (entry / "comm").read_text().strip() == "postgres"
            except OSError:
                continue
            if is_postgres:
                total += _process_cpu(int(entry.name), children=True)
    return total


def _machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / CLOCK_TICKS, sum(values[:8]) / CLOCK_TICKS


@dataclass
class CpuSnapshot:
    generator: float
    servers: float
    database: float
    machine_busy: float
    machine_total: float

    @classmethod
    def take(cls, server_pids: Sequence[int]) -> CpuSnapshot:
        busy, total = _machine_cpu()
        servers = sum(_process_cpu(pid) for pid in server_pids)
        return cls(time.process_time(), servers, _database_cpu(), busy, total)


# --- a phase --------------------------------------------------------------------------------------


@dataclass
class LoadRun(_stack.Run):
    """A phase's requests, and the CPU it cost: cores used on average by this process (the
    generator), by the server's workers, by PostgreSQL, and by the whole machine (busy share of
    all cores)."""

    generator_cores: float = 0.0
    server_cores: float = 0.0
    database_cores: float = 0.0
    machine_busy: float = 0.0
    first_error: str = ""
    unreached: int = 0  # links left when the phase's time ran out


def drive(
    port: int, links: Sequence[Link], clients: int, timeout: float, step: Step, server_pids: Sequence[int] = ()
) -> LoadRun:
    """Run `step` once per link from `clients` threads until the links or `timeout` run out.
    `server_pids` are the processes whose CPU is counted as the server's."""
    run = LoadRun("")
    lock = threading.Lock()
    cursor = iter(enumerate(links))
    deadline = time.monotonic() + timeout

    def client_loop() -> None:
        client = Client(port)
        while time.monotonic() < deadline:
            with lock:
                item = next(cursor, None)
            if item is None:
                break
            index, link = item
            started = time.perf_counter()
            try:
                problem = step(client, link, index)
            except OSError as error:
                problem = f"{link.path}: {error!r}"
            elapsed = time.perf_counter() - started
            with lock:
                if problem is None:
                    run.latencies.append(elapsed)
                else:
                    run.errors += 1
                    run.first_error = run.first_error or problem

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    before = CpuSnapshot.take(server_pids)
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.wall = time.perf_counter() - started
    run.unreached = len(links) - len(run.latencies) - run.errors
    after = CpuSnapshot.take(server_pids)
    if run.wall:
        run.generator_cores = (after.generator - before.generator) / run.wall
        run.server_cores = (after.servers - before.servers) / run.wall
        run.database_cores = (after.database - before.database) / run.wall
    total = after.machine_total - before.machine_total
    run.machine_busy = (after.machine_busy - before.machine_busy) / total if total else 0.0
    return run


if __name__ == "__main__":
    print("bench/_load.py holds the load generator for the benchmarks; run bench/peer.py or bench/submit.py.")
