"""A delivery attempt reaches the receiver by every address its host has, in the resolver's
order, and no other; refuses IPv6 addresses that lead to an internal IPv4 one; ends within
the timeout whatever the receiver does; names an IPv6-literal host in brackets. Receivers
are real servers on 127.0.0.1; what depends on DNS is tested with explicit address lists."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from sqlalchemy import select

from api_helpers import upload
from app.clock import utc_now
from app.db.models import WebhookDelivery
from app.services.grading import begin_grading, store_grade
from app.services.webhooks import attempt_delivery
from app.webhooks.sender import AttemptResult, host_header, post
from app.webhooks.url_policy import RefusedUrl, Target, addresses_in_order, resolve_target
from grader import report as reports
from tests.support.loopback import free_port
from tests.support.webhook_receiver import Receiver

TIMEOUT_S = 1.0
LATE_S = 1.0
"""How far past the timeout an attempt may end on a loaded machine."""
DRIBBLE_EVERY_S = 0.2
"""Well within the timeout, so each read alone never times out."""
DRIBBLE_FOR_S = 8.0
"""How long a dribbling receiver keeps it up: a sender without a deadline for the whole
attempt takes this long, far past the timeout, and the test still ends."""


class DribblingReceiver:
    """Sends `first` at once on each connection, then `then` a byte every DRIBBLE_EVERY_S
    for up to DRIBBLE_FOR_S: never silent long enough for a read to time out."""

    def __init__(self, first: bytes, then: bytes) -> None:
        self.first, self.then = first, then
        self.stopped = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._dribble, args=(connection,), daemon=True).start()

    def _dribble(self, connection: socket.socket) -> None:
        ends_at = time.monotonic() + DRIBBLE_FOR_S
        with connection:
            try:
                connection.sendall(self.first)
                for byte in self.then:
                    if self.stopped.is_set() or time.monotonic() > ends_at:
                        return
                    connection.sendall(bytes([byte]))
                    time.sleep(DRIBBLE_EVERY_S)
            except OSError:
                return  # the sender hung up

    def close(self) -> None:
        self.stopped.set()
        self.listener.close()


@pytest.fixture
def receiver():
    served = Receiver()
    yield served
    served.close()


@pytest.fixture
def dribbling():
    started = []

    def start(first: bytes, then: bytes) -> DribblingReceiver:
        started.append(DribblingReceiver(first, then))
        return started[-1]

    yield start
    for served in started:
        served.close()


def attempt(target: Target) -> AttemptResult:
    return post(target, b"{}", {"Content-Type": "application/json"}, TIMEOUT_S)


# Addresses: the resolver's order is kept, and the sender tries each in turn.

def test_addresses_keep_the_resolvers_order():
    # A receiver with both families, IPv4 preferred (say, by /etc/gai.conf): sorting put
    # its IPv6 address first, and on an IPv4-only network every attempt failed.
    infos = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("203.0.113.7", 443)),
             (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("2001:db8::7", 443, 0, 0)),
             (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("203.0.113.7", 443))]
    assert addresses_in_order(infos) == ("203.0.113.7", "2001:db8::7")


def test_a_literal_url_resolves_to_its_address_with_its_host():
    target = resolve_target("http://127.0.0.1:8080/hook", ["127.0.0.1"], ["127.0.0.1/32"])
    assert (target.host, target.addresses) == ("127.0.0.1", ("127.0.0.1",))


def test_the_sender_tries_each_checked_address_in_order_until_one_connects():
    # All of 127/8 is loopback. The receiver listens on 127.0.0.2 only: 127.0.0.3, first,
    # refuses, 127.0.0.2 answers, and 127.0.0.1 (the address sorting picked, refusing too)
    # is never tried. The URL's name is never looked up (.test does not resolve): the
    # addresses checked are the only ones connected to, and the name goes in Host.
    receiver = Receiver("127.0.0.2")
    try:
        result = attempt(Target(f"http://receiver.test:{receiver.port}/hook", "receiver.test",
                                ("127.0.0.3", "127.0.0.2", "127.0.0.1")))
    finally:
        receiver.close()
    assert (result.status, result.body, result.error) == (200, "ok", None)
    assert [r.headers["Host"] for r in receiver.received] == [f"receiver.test:{receiver.port}"]


def test_when_no_address_connects_the_attempt_says_which_failed_and_is_retried():
    port = free_port()
    result = attempt(Target(f"http://receiver.test:{port}/hook", "receiver.test",
                            ("127.0.0.2", "127.0.0.1")))
    assert result.status is None and result.worth_retrying
    assert "127.0.0.2" in result.error and "127.0.0.1" in result.error


# IPv6 addresses that lead to an IPv4 one are judged by it.

@pytest.mark.parametrize("address", [
    "64:ff9b::7f00:1",             # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",          # NAT64 of the metadata service, 169.254.169.254
    "64:ff9b::a00:5",              # NAT64 of 10.0.0.5
    "64:ff9b:1::a9fe:a9fe",        # local-use NAT64: where the IPv4 sits is the site's choice
    "2002:a9fe:a9fe::1",           # 6to4 through the metadata service
    "2002:7f00:1::",               # 6to4 through 127.0.0.1
    "::7f00:1",                    # IPv4-compatible 127.0.0.1
    "::808:808",                   # IPv4-compatible: deprecated, refused whatever it holds
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo: ends at a NAT no one here can judge
    "::ffff:169.254.169.254",      # IPv4-mapped (refused before these fixes too)
])
def test_ipv6_addresses_that_lead_inside_are_refused(address):
    with pytest.raises(RefusedUrl, match="resolves to"):
        resolve_target(f"https://[{address}]/hook", [address], [])


@pytest.mark.parametrize("address", [
    "64:ff9b::808:808",            # NAT64 of 8.8.8.8, as an IPv6-only network's DNS64 gives
    "2002:808:808::1",             # 6to4 of 8.8.8.8
    "2606:4700:4700::1111",
])
def test_ipv6_addresses_that_lead_to_public_ones_are_allowed(address):
    assert resolve_target(f"https://[{address}]/hook", [address], []).addresses == (address,)


# Host names an IPv6 literal in brackets.

def test_host_header_brackets_an_ipv6_literal():
    assert host_header("2001:db8::1", 8080) == "[2001:db8::1]:8080"
    assert host_header("2001:db8::1", None) == "[2001:db8::1]"
    assert host_header("hooks.example.edu", None) == "hooks.example.edu"
    assert host_header("hooks.example.edu", 8443) == "hooks.example.edu:8443"


def test_a_request_to_an_ipv6_literal_names_it_in_brackets(receiver):
    attempt(Target(f"http://[2001:db8::1]:{receiver.port}/hook", "2001:db8::1",
                   ("127.0.0.1",)))
    assert [r.headers["Host"] for r in receiver.received] == [f"[2001:db8::1]:{receiver.port}"]


# The timeout bounds the whole attempt, not each read.

@pytest.mark.parametrize("scheme,first,then", [
    # The status line and headers a byte at a time, never ending.
    ("http", b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"a" * 1000),
    # A TLS record announcing 16 KB of handshake, sent a byte at a time: the connect's
    # handshake, not only the answer, is bounded.
    ("https", b"\x16\x03\x03\x40\x00", b"\x00" * 1000),
])
def test_a_receiver_that_dribbles_is_cut_at_the_timeout(dribbling, scheme, first, then):
    served = dribbling(first, then)
    started = time.monotonic()
    result = attempt(Target(f"{scheme}://127.0.0.1:{served.port}/hook", "127.0.0.1",
                            ("127.0.0.1",)))
    took_s = time.monotonic() - started
    assert TIMEOUT_S - 0.1 <= took_s < TIMEOUT_S + LATE_S, took_s
    assert result.status is None and result.worth_retrying
    assert result.error == f"no answer within {TIMEOUT_S:g} s"


def test_a_body_dribbled_past_the_timeout_keeps_the_status_and_what_came(dribbling):
    served = dribbling(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nstart:", b"x" * 1000)
    started = time.monotonic()
    result = attempt(Target(f"http://127.0.0.1:{served.port}/hook", "127.0.0.1",
                            ("127.0.0.1",)))
    assert time.monotonic() - started < TIMEOUT_S + LATE_S
    assert result.status == 200 and result.delivered
    assert result.body.startswith("start:")


def test_a_dribbled_answer_is_recorded_as_a_timeout_and_retried(make_client, settings,
                                                                sessions, users, dribbling):
    served = dribbling(b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"a" * 1000)
    secret = "s" * 64
    overrides = {"webhook_secrets": {"hw1": secret}, "webhook_timeout_s": TIMEOUT_S,
                 "webhook_allowed_networks": ["127.0.0.1/32"]}
    api = make_client(**overrides)
    answer = api.put("/api/v1/assignments/hw1/webhooks", headers=users.headers("tess"),
                     json={"urls": [f"http://127.0.0.1:{served.port}/hook"],
                           "allowed_hosts": ["127.0.0.1"]})
    assert answer.status_code == 200, answer.text
    submission = upload(api, users["alice"], {"mlp": b"x = 1\n"}).json()["id"]
    with sessions.begin() as session:
        job = begin_grading(session, submission, 1, utc_now())
        store_grade(session, job, graded_report(), 1.0, utc_now())
    with sessions() as session:
        delivery_pk = session.scalars(select(WebhookDelivery.id)).one()
    started = time.monotonic()
    following = attempt_delivery(sessions, settings.model_copy(update=overrides), delivery_pk)
    assert time.monotonic() - started < TIMEOUT_S + LATE_S
    assert following is not None and following.attempts_made == 1
    delivery, = api.get("/api/v1/assignments/hw1/webhook-deliveries",
                        params={"submission": submission}, headers=users.headers("tess")).json()
    assert delivery["status"] == "pending"
    recorded, = delivery["attempts"]
    assert recorded["response_status"] is None
    assert recorded["error"] == f"no answer within {TIMEOUT_S:g} s"


def graded_report() -> reports.Report:
    test = reports.TestResult(name="mlp.linear.forward", layer="linear", direction="forward",
                              score=10.0, max_score=10.0, status="passed", output="ok",
                              staff_output="")
    return reports.Report(status="graded", score=10.0, max_score=10.0, seed=7,
                          grader_version="t", tests=[test])
