"""Who may do what on the workbench, and what a request may carry.

Two kinds of token when the workbench is reachable from the network: the planner's token opens everything; an
institution's subscription token opens only that institution's calendar (``/ics/<its id>.ics``), and it is the
only token in the link handed to that institution. The institutions' tokens are derived from one subscription
secret kept in the workspace (:func:`institution_token`), so the links institutions subscribed to survive a
restart; the secret itself is never handed out and opens nothing. A token
for a network address must carry at least 128 bits. POSTs must come from the workbench's own pages
(Origin, else Referer, names the host the request was sent to), besides the CSRF token.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
import secrets
import socket
from urllib.parse import urlsplit

from ..errors import PlannerError
from ..publish.letterhead import MAX_NUMBER_CHARS
from ..textio import atomic_write_text

MIN_TOKEN_BITS = 128
#: the length of random letters and digits to suggest for a token: :func:`token_bits` passes all but about 1 in
#: 1 400 of them (22, the bare 128-bit length, leaves too little for the sequences random text holds: 1 in 4 refused)
TOKEN_EXAMPLE_CHARS = 26
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
SUBSCRIPTION_FILE = "subscription-token"
#: POSTed fields: the longest text each may carry (the pages' maxlength); others get DEFAULT_FIELD
FIELD_LIMITS = {"name": 40, "who": 20, "question": 200, "note": 200, "notes": 200, "license_reason": 100,
                "closure_reason_": 100, "closed_days": 4000, "demand_percent": 4, "reason": 40, "advice": 300,
                "doc_number": MAX_NUMBER_CHARS, "issued": 10}
DEFAULT_FIELD = 100


#: keyboard rows: a key next to the previous one ("qwer", "asdf", "1234") is a walk, not a choice
_KEY_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")


def _follows(prev: str, c: str) -> bool:
    """*c* is what a person typing a sequence would put after *prev*: the same, the next or previous character
    (``abc``, ``321``), or the key beside it."""
    a, b = prev.lower(), c.lower()
    if abs(ord(a) - ord(b)) <= 1:
        return True
    return any(a in row and b in row and abs(row.index(a) - row.index(b)) == 1 for row in _KEY_ROWS)


def token_bits(token: str) -> float:
    """A conservative estimate of a token's entropy: the characters a person did not get from a pattern, times
    log2 of the alphabet their classes span (digits 10, lower 26, upper 26, anything else 32). Past the
    first two characters of a sequence (:func:`_follows`: ``abcd``, ``4321``, ``qwer``) a character counts
    nothing, and nor does a run of four that repeats an earlier one (``20272027``), which random text does too
    rarely to matter; a token of fewer than 10 distinct characters
    counts only those in its alphabet (random text of 26 has about 21)."""
    if not token:
        return 0.0
    size = sum(n for test, n in ((str.isdigit, 10), (str.islower, 26), (str.isupper, 26))
               if any(test(c) for c in token))
    if any(not (c.isdigit() or c.isascii() and c.isalpha()) for c in token):
        size += 32
    if len(set(token)) < 10:  # "aaaa…" or "abab…" is no stronger than its few symbols allow
        size = min(size, len(set(token)))
    chosen, i = 0, 0
    while i < len(token):
        if i >= 4 and token[i:i + 4] in token[:i]:
            chosen, i = chosen + 1, i + 4  # a repeat: one choice, to repeat
        else:
            chosen += not (i >= 2 and _follows(token[i - 2], token[i - 1]) and _follows(token[i - 1], token[i]))
            i += 1
    return chosen * math.log2(max(size, 1))


def check_token(token: str, host: str) -> None:
    """Refuse a token too weak for a network address (exit 2, one line)."""
    if host not in LOOPBACK and token_bits(token) < MIN_TOKEN_BITS:
        raise PlannerError(f"the token carries about {token_bits(token):.0f} bits; on a network address "
                           f"(--host {host}) it needs at least {MIN_TOKEN_BITS} (e.g. {TOKEN_EXAMPLE_CHARS} random letters and digits, no words or sequences); "
                           "omit --token to have one generated", field="token")


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 192 bits


def subscription_token(root) -> str:
    """The workspace's read-only token for calendar subscriptions (made once, kept)."""
    path = root / SUBSCRIPTION_FILE
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        text = ""
    if token_bits(text) >= MIN_TOKEN_BITS:
        return text
    text = new_token()
    atomic_write_text(path, text + "\n")
    try:
        path.chmod(0o600)
    except OSError:  # pragma: no cover - a file system without modes
        pass
    return text


#: an institution's calendar as its link names it (the path as the server received it, percent-decoded)
ICS_PATH = re.compile(r"/ics/([^/]+)\.ics")


def institution_token(secret: str, institution: str) -> str:
    """The read-only token of one institution's calendar: HMAC-SHA256 of its id under the workspace's subscription
    secret (:func:`subscription_token`), 192 bits. One institution's link opens its own calendar, never another's."""
    mac = hmac.new(secret.encode(), f"ics:{institution}".encode(), hashlib.sha256).digest()[:24]
    return base64.urlsafe_b64encode(mac).decode()


def calendar_of(secret: str, given: str, path: str) -> str | None:
    """The institution whose calendar *path* is, when *given* is that institution's token; else None."""
    m = ICS_PATH.fullmatch(path)
    if m is None:
        return None
    mine = institution_token(secret, m.group(1))
    return m.group(1) if secrets.compare_digest(given.encode(), mine.encode()) else None


def field_limit(name: str) -> int:
    for key, n in FIELD_LIMITS.items():
        if name == key or key.endswith("_") and name.startswith(key):
            return n
    return DEFAULT_FIELD


def same_origin(headers) -> bool:
    """True when the POST's Origin (else Referer) names the Host it was sent to. A request with neither
    (a script, not a browser: the CSRF token still has to match) passes unless the browser says it is
    cross-site; an opaque ``Origin: null`` needs a matching Referer."""
    host = headers.get("host", "")
    origin, referer = headers.get("origin"), headers.get("referer")
    if origin and origin != "null":
        return urlsplit(origin).netloc == host
    if referer:
        return urlsplit(referer).netloc == host
    if origin == "null":
        return False
    return headers.get("sec-fetch-site") != "cross-site"


def interface_address() -> str:
    """This machine's address on its network (what other machines type), for a server on 0.0.0.0.
    A UDP socket's connect() only picks the route; no packet is sent."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere, only used to choose the interface
            return s.getsockname()[0]
        except OSError:
            pass
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"
