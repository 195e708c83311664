"""Schemathesis hooks for scripts/fuzz.sh (loaded through SCHEMATHESIS_HOOKS).

In the `tenants` run (FUZZ_CALLERS=tenants) about three in four requests to one object
(`/memories/{id}`, `/chat/sessions/{id}/…`, `/webhooks/{id}…`, `/jobs/{id}`) whose `id`
was generated valid get the id of an object alice owns (Tests/Fuzz/seed.py made them), so
those operations are fuzzed past their lookup and bob is asked for objects that exist.

Also in the `tenants` run, a schema-valid request refused by a rule JSON Schema cannot
state (EXCUSED_REFUSALS: one field compared with another, the caller's webhook count, where
a URL points) is not reported; every other refusal of a schema-valid request is.

In the `strangers` run (FUZZ_CALLERS=strangers) every request carries one of a set of
hostile credentials instead of a valid token, and the check `refused_as_documented` holds
the answer to the refusal the README promises for it: 401 for credentials that are missing,
malformed, unknown, badly signed, expired or not yet valid; 403 for a valid token without
the operation's scope and for a disabled user (402 on GET /context/view/docs, as the spec
lists). The credential a request used is named in its `X-Fuzz-Caller` header (the server
ignores it), so the cassette says which one failed.

The choice depends only on the request itself, so a run with the same seed sends the same
credentials with the same requests whatever order the workers take them in.

Environment (set by scripts/fuzz.sh): FUZZ_CALLERS, FUZZ_SEEDED_IDS (seed.py's output),
FUZZ_JWT_SECRET (the server's secret: the expired, early and scopeless tokens must be
validly signed to test what they test), FUZZ_DISABLED_USER (a user the script disabled).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import string
import time
from typing import Callable

import schemathesis

CALLER_HEADER = "X-Fuzz-Caller"
SECRET = os.environ.get("FUZZ_JWT_SECRET", "")
DISABLED_USER = os.environ.get("FUZZ_DISABLED_USER", "")
TENANTS = os.environ.get("FUZZ_CALLERS") == "tenants"
STRANGERS = os.environ.get("FUZZ_CALLERS") == "strangers"
SEEDED_IDS: dict[str, list] = json.loads(os.environ.get("FUZZ_SEEDED_IDS") or "{}")
# Which kind of object the `id` of an operation's path names.
ID_KINDS = [
    ("/api/v1/memories/{id}", "memory"),
    ("/api/v1/chat/sessions/{id}", "session"),
    ("/api/v1/webhooks/{id}", "webhook"),
    ("/api/v1/jobs/{id}", "job"),
]
# Refusals of schema-valid requests the document cannot describe, by operation: a phrase
# of the refusal's message each.
EXCUSED_REFUSALS = {
    "POST /api/v1/context/search": ["similarity_threshold must be at least minimum_similarity_threshold"],
    "POST /api/v1/context/delete": ["with by_id, source must be a document or context id", "one of by_doc or by_id must be true"],
    "POST /api/v1/webhooks": [
        "points at a local or internal host",
        "points at a private, loopback, link-local or metadata address",
        "must not contain a user name or password",
        "webhooks per user",
    ],
    "GET /api/v1/analytics/usage": ["must be before end_date", "the range may span at most"],
    "GET /api/v1/analytics/memories": ["must be before end_date", "the range may span at most"],
    "GET /api/v1/analytics/trends": ["must be before end_date", "the range may span at most"],
    "GET /api/v1/memories": ["end_date is before start_date"],
}
# Where a disabled user is answered 402 instead of 403 (README, Authentication).
PAYMENT_REQUIRED_PATHS = {("GET", "/api/v1/context/view/docs")}


# --- JWTs ------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(claims: dict, *, alg: str = "HS256", secret: str | None = None, digest=hashlib.sha256) -> str:
    header = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims).encode())
    key = (SECRET if secret is None else secret).encode()
    signature = _b64(hmac.new(key, f"{header}.{payload}".encode(), digest).digest())
    return f"{header}.{payload}.{signature}"


def _claims(**changes) -> dict:
    """Claims of a valid token for a stranger (a user nobody else uses), with `changes`;
    a change to None removes the claim."""
    now = int(time.time())
    claims = {"sub": "fuzz-stranger", "exp": now + 3600, "iat": now}
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not None}


def _unsigned() -> str:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(_claims()).encode())}."


# --- hostile credentials ---------------------------------------------------------------


# A plain class: Schemathesis loads this file without registering it as a module, which
# dataclasses need.
class Caller:
    def __init__(self, name: str, authorization: Callable[[bytes], str | None], status: int) -> None:
        self.name = name
        # The Authorization header; None sends none. Given the request's digest, so that a
        # per-request value (an unknown API key) is still reproducible.
        self.authorization = authorization
        # The status the README promises for it.
        self.status = status


def _unknown_key(digest: bytes) -> str:
    alphabet = string.ascii_letters + string.digits
    return "Bearer c0_" + "".join(alphabet[byte % len(alphabet)] for byte in (digest * 2)[:40])


CALLERS = [
    Caller("none", lambda _: None, 401),
    Caller("empty-bearer", lambda _: "Bearer ", 401),
    Caller("basic", lambda _: "Basic Zm9vOmJhcg==", 401),
    Caller("garbage", lambda _: "Bearer not-a-token", 401),
    Caller("short-key", lambda _: "Bearer c0_abc", 401),
    Caller("unknown-key", _unknown_key, 401),
    Caller("alg-none", lambda _: "Bearer " + _unsigned(), 401),
    Caller("other-secret", lambda _: "Bearer " + _jwt(_claims(), secret="not-the-server-secret-0123456789abcdef"), 401),
    Caller("hs512", lambda _: "Bearer " + _jwt(_claims(), alg="HS512", digest=hashlib.sha512), 401),
    Caller("expired", lambda _: "Bearer " + _jwt(_claims(exp=int(time.time()) - 60)), 401),
    Caller("not-yet-valid", lambda _: "Bearer " + _jwt(_claims(nbf=int(time.time()) + 3600)), 401),
    Caller("no-exp", lambda _: "Bearer " + _jwt(_claims(exp=None)), 401),
    Caller("empty-sub", lambda _: "Bearer " + _jwt(_claims(sub="")), 401),
    Caller("empty-org", lambda _: "Bearer " + _jwt(_claims(org_id="")), 401),
    Caller("scopeless", lambda _: "Bearer " + _jwt(_claims(scopes=[])), 403),
    Caller("disabled", lambda _: "Bearer " + _jwt(_claims(sub=DISABLED_USER)), 403),
]
CALLERS_BY_NAME = {caller.name: caller for caller in CALLERS}


def _digest(case) -> bytes:
    """A digest of what the request asks, not of its credentials or of when it is sent."""
    text = repr((case.method, case.path, case.path_parameters, case.query, case.body))
    return hashlib.sha256(text.encode(errors="replace")).digest()


def _is_public(case) -> bool:
    return case.operation.definition.raw.get("security") == []


def _path_is_valid(case) -> bool:
    """Whether the case's path parameters were generated to fit the schema (a negative case
    may break the body or the query instead, and then its id may still be replaced)."""
    meta = case.meta
    if meta is None:
        return False
    for location, info in meta.components.items():
        if location == "path":
            return info.mode.is_positive
    return meta.generation.mode.is_positive


def _error_message(response) -> str:
    """The message of an error answer in either API's shape, or ""."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict):
        return str(error.get("details", ""))
    return str(body.get("response", ""))


# --- the tenants run: ids of objects that exist, excused refusals -----------------------


if TENANTS:

    @schemathesis.hook
    def map_case(context, case):
        """Three in four valid ids become one of alice's objects of the kind the path names
        (the rest stay random, for the 404s)."""
        if not case.path_parameters or "id" not in case.path_parameters or not _path_is_valid(case):
            return case
        kind = next((kind for prefix, kind in ID_KINDS if case.path.startswith(prefix)), None)
        ids = SEEDED_IDS.get(kind or "", [])
        # DELETE gets the last object of each kind, everything else the others: deleting
        # them would leave the other operations only 404s for the rest of the run.
        ids = ids[-1:] if case.method.upper() == "DELETE" else ids[:-1] or ids
        digest = _digest(case)
        if ids and digest[0] % 4 != 0:
            case.path_parameters["id"] = ids[digest[1] % len(ids)]
        return case

    @schemathesis.hook
    def filter_failure(context, failure, case, response):
        """Keeps every failure but a schema-valid request refused by a rule in EXCUSED_REFUSALS."""
        if "positive_data_acceptance" not in getattr(failure, "checks", ()):
            return True
        phrases = EXCUSED_REFUSALS.get(f"{case.method.upper()} {case.path}", [])
        message = _error_message(response)
        return not any(phrase in message for phrase in phrases)


# --- the strangers run: hostile credentials --------------------------------------------


if STRANGERS:

    @schemathesis.hook
    def before_call(context, case, kwargs):
        """Sends the request with one of the hostile credentials, chosen by its digest."""
        digest = _digest(case)
        caller = CALLERS[digest[0] % len(CALLERS)]
        case.headers = case.headers or {}
        for name in [name for name in case.headers if name.lower() == "authorization"]:
            del case.headers[name]
        authorization = caller.authorization(digest)
        if authorization is not None:
            case.headers["Authorization"] = authorization
        case.headers[CALLER_HEADER] = caller.name

    @schemathesis.check
    def refused_as_documented(ctx, response, case):
        """Without valid credentials, every operation but the public ones refuses the request
        with the status promised for that kind of credential, before looking at anything else."""
        # Methods the document does not declare for the path (the coverage phase tries them)
        # match no route: 404 before any credentials are looked at.
        if _is_public(case) or case.method.upper() != case.operation.method.upper():
            return None
        caller = CALLERS_BY_NAME.get((case.headers or {}).get(CALLER_HEADER, ""))
        if caller is None:
            return None
        expected = caller.status
        if caller.name == "disabled" and (case.method.upper(), case.path) in PAYMENT_REQUIRED_PATHS:
            expected = 402
        if response.status_code != expected:
            raise AssertionError(
                f"{caller.name} credentials: expected {expected}, got {response.status_code} "
                f"for {case.method.upper()} {case.formatted_path}"
            )
        return None
