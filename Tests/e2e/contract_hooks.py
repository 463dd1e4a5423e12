# Schemathesis hooks for Tests/e2e/contract.sh (SCHEMATHESIS_HOOKS=path/to/this/file): they
# keep the generated requests on this run's own containers, image tag, volumes and ports, so a
# contract run against a real, shared engine touches nothing else and never waits on the
# internet. A valid value is replaced by another valid one (and, now and then, a command given
# where none was, since the test image has none, or input dropped beside detach, a 400); an invalid
# value is sent as generated: the server must refuse it, and when it does not, contract.sh
# sees the status or the container. Schemathesis revalidates a case after before_call, so its
# checks judge what was actually sent. The random choices follow DS_CONTRACT_SEED, so a seed
# replays a run.
#
# Settings come from the environment contract.sh exports:
#   DS_CONTRACT_PREFIX   every container and named volume a request may create starts with it
#   DS_CONTRACT_IMAGE    the run's own tag of the test image (PUT bodies use it)
#   DS_CONTRACT_REGISTRY the local registry (HEAD pulls stay on it)
#   DS_CONTRACT_VOLUMES  the host folder under which bind mounts are made
#   DS_CONTRACT_PORTS    host ports a run may publish, comma-separated (bound on 127.0.0.1)
#   DS_CONTRACT_VICTIMS  running containers DELETE may remove, comma-separated
import itertools
import os
import random
import re
import shlex
import threading
from urllib.parse import urlencode

import schemathesis

PREFIX = os.environ["DS_CONTRACT_PREFIX"]
IMAGE = os.environ["DS_CONTRACT_IMAGE"]
REGISTRY = os.environ["DS_CONTRACT_REGISTRY"]
VOLUMES = os.environ["DS_CONTRACT_VOLUMES"]
PORTS = [p for p in os.environ["DS_CONTRACT_PORTS"].split(",") if p]
VICTIMS = [v for v in os.environ["DS_CONTRACT_VICTIMS"].split(",") if v]
LIVE = PREFIX + "-live"  # running (sleep): logs, exec
EXITED = PREFIX + "-exited"  # exited: logs, exec's 409
GONE = PREFIX + "-gone"  # never created: 404
MISSING_IMAGE = "%s/%s/missing:1" % (REGISTRY, PREFIX)  # the registry answers 404
# A registry that refuses connections (nothing listens on port 1): the pull's 502.
UNREACHABLE_IMAGE = "127.0.0.1:1/%s/unreachable:1" % PREFIX

_lock = threading.Lock()
_counter = itertools.count(1)
_created = []  # names PUT may have created; DELETE picks among them
_rng = random.Random(int(os.environ.get("DS_CONTRACT_SEED", "0")) or None)

# Container names (docs/API.md "Names").
NAME = re.compile(r"/?[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}\Z")
VOLUME_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+\Z")
# Host side of a port mapping: PORT, ADDR:PORT or [V6]:PORT, optionally /PROTO (docs/API.md run).
HOST_PORT = re.compile(r"(?:(?:\[[0-9A-Fa-f:.]+\]|[0-9.]+):)?([0-9]{1,5})(/(?:tcp|udp|sctp))?\Z")
# Docker's distribution reference grammar (docs/API.md "Names"), for the paths of HEAD.
_path_component = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_domain_component = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_domain = r"(?:%s(?:\.%s)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?" % (_domain_component, _domain_component)
REFERENCE = re.compile(
    r"(?:%s/)?%s(?:/%s)*(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?\Z"
    % (_domain, _path_component, _path_component)
)

# Commands that would keep an attached run or an exec busy for long; a generated command that
# starts with one is replaced, so a request ends within the run's request timeout.
LONG_RUNNING = {"sleep", "httpd", "sh", "cat", "tail", "watch", "nc", "ping", "top", "env"}


def _scalar_text(value):
    """The text a JSON number or boolean is read as (docs/API.md "Request bodies")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def _fresh_name():
    with _lock:
        name = "%s-%d" % (PREFIX, next(_counter))
        _created.append(name)
    return name


def _container_name(value):
    """A name for a run: a valid generated one gets the prefix, an invalid one stays (400)."""
    if value is None or value == "" or isinstance(value, (bool, int, float)):
        return _fresh_name()
    if not isinstance(value, str) or not NAME.match(value):
        return value
    slash = "/" if value.startswith("/") else ""
    name = ("%s-%d-%s" % (PREFIX, next(_counter), value.lstrip("/")))[:255]
    with _lock:
        _created.append(name)
    return slash + name


def _argv(data):
    if isinstance(data, list):
        return [str(x) for x in data]
    if isinstance(data, str):
        try:
            return shlex.split(data)
        except ValueError:
            return []
    return []


def _bounded_command(data):
    argv = _argv(data)
    if argv and os.path.basename(argv[0]) in LONG_RUNNING:
        return ["echo", "steered"]
    return data


def _steer_ports(ports):
    if not isinstance(ports, dict):
        return ports
    out = {}
    for key, value in ports.items():
        m = HOST_PORT.match(key) if isinstance(key, str) else None
        if m and PORTS and 1 <= int(m.group(1)) <= 65535:
            key = "127.0.0.1:%s%s" % (_rng.choice(PORTS), m.group(2) or "")
        if key not in out:
            out[key] = value
    return out


def _steer_volumes(volumes):
    if not isinstance(volumes, dict):
        return volumes
    out = {}
    for key, value in volumes.items():
        if isinstance(key, str) and key.startswith("/") and ":" not in key and key.isprintable():
            safe = re.sub(r"[^A-Za-z0-9_.-]", "_", key.strip("/")) or "root"
            key = "%s/%s" % (VOLUMES, safe[:100])
        elif isinstance(key, str) and VOLUME_NAME.match(key):
            key = ("%s-%s" % (PREFIX, key))[:255]
        out.setdefault(key, value)
    return out


def _steer_run(body):
    if not isinstance(body, dict):
        return body
    body = dict(body)
    image = body.get("image")
    # Present and a reference (a JSON number or boolean is read as its text, so it is one
    # too): this run's image, now and then one the local registry does not have (404).
    if "image" in body and (isinstance(image, (bool, int, float)) or (isinstance(image, str) and REFERENCE.match(image))):
        body["image"] = _rng.choices([IMAGE, MISSING_IMAGE, UNREACHABLE_IMAGE], weights=[90, 7, 3])[0]
    body["name"] = _container_name(body.get("name"))
    if "ports" in body:
        body["ports"] = _steer_ports(body["ports"])
    if "volumes" in body:
        body["volumes"] = _steer_volumes(body["volumes"])
    if "data" in body:
        body["data"] = _bounded_command(body["data"])
    if "entrypoint" in body:
        body["entrypoint"] = _bounded_command(body["entrypoint"])
    # Networks: mostly the engine's own (a made-up name is the engine's 404, kept now and
    # then); restart policies other than no would keep the run's containers restarting.
    if isinstance(body.get("network"), str) and _rng.random() < 0.8:
        body["network"] = _rng.choice(["bridge", "none"])
    if isinstance(body.get("restart"), str) and body["restart"] != "no" and _rng.random() < 0.8:
        body["restart"] = "no"
    # Reach the engine more often than the schema alone would: the test image has no default
    # command (the engine's 400 "No command specified"), and input with detach is a 400.
    if body.get("data") in (None, "", []) and _rng.random() < 0.7:
        body["data"] = "echo contract"
    if "input" in body and _truthy(body.get("detach")) and _rng.random() < 0.7:
        del body["input"]
    return body


def _truthy(value):
    return str(_scalar_text(value)).lower() in ("true", "1", "on", "yes")


def _steer_name(value, choices):
    """A valid container name in a path is replaced by one of ours; an invalid one stays."""
    if isinstance(value, str) and NAME.match(value):
        pick = _rng.choice(choices)
        return "/" + pick if value.startswith("/") else pick
    return value


def _steer_reference(value):
    if isinstance(value, str) and REFERENCE.match(value):
        return _rng.choice(
            [
                "%s/ds-test/busybox:1" % REGISTRY,
                MISSING_IMAGE,
                "%s/%s/missing@sha256:%064x" % (REGISTRY, PREFIX, _rng.getrandbits(256)),
                UNREACHABLE_IMAGE,
            ]
        )
    return value


# Accept fields the document does not list as a parameter (OpenAPI leaves Accept out): now and
# then one of these, for the 406s and the text logs (docs/API.md "Endpoints", RFC 9110 12.5.1).
ACCEPTS = [
    "application/json",
    "text/plain",
    "text/plain, application/json;q=0.5",
    "application/xml",
    "application/json;q=0",
    "*/*;q=0.1, text/html",
    "text/*",
]


@schemathesis.hook
def before_call(context, case, kwargs):
    method = case.operation.method.upper()
    params = case.path_parameters or {}
    if _rng.random() < 0.15:
        case.headers = dict(case.headers or {}, Accept=_rng.choice(ACCEPTS))
    if method == "PUT":
        case.body = _steer_run(case.body)
    elif method == "HEAD" and "name" in params:
        params["name"] = _steer_reference(params["name"])
    elif method == "GET" and "name" in params:
        query = case.query or {}
        # A followed log of a running container streams until it stops: never the live one.
        choices = [EXITED, GONE] if "follow" in query else [LIVE, LIVE, EXITED, GONE]
        # Text logs (format=text, or an Accept that prefers text/plain) of the live container
        # are read to the end of what it wrote; follow never reaches it (above).
        params["name"] = _steer_name(params["name"], choices)
    elif method == "POST" and "name" in params:
        params["name"] = _steer_name(params["name"], [LIVE, LIVE, LIVE, EXITED, GONE])
        if isinstance(case.body, dict) and "data" in case.body:
            case.body = dict(case.body, data=_bounded_command(case.body["data"]))
    elif method == "DELETE" and "name" in params:
        with _lock:
            pool = VICTIMS + _created[-20:] + [GONE]
        params["name"] = _steer_name(params["name"], pool)


def _form_pairs(body):
    """Form data as docs/openapi.yaml declares it: scalars as name=value, the maps (ports,
    volumes) as deepObject name[key]=value, a list as the repeated name=value of style form
    with explode (the OpenAPI default); null, which form data cannot carry, is left out."""
    for key, value in body.items():
        if value is None:
            continue
        if isinstance(value, dict):
            for k, v in value.items():
                yield "%s[%s]" % (key, k), _form_text(v)
        elif isinstance(value, list):
            for v in value:
                yield key, _form_text(v)
        else:
            yield key, _form_text(value)


def _form_text(value):
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value)
    if value is None:
        return ""
    return _scalar_text(value)


@schemathesis.serializer("application/x-www-form-urlencoded")
def _form(ctx, value):
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, dict):
        return urlencode(list(_form_pairs(value)), encoding="utf-8", errors="surrogatepass").encode("ascii")
    import json

    return json.dumps(value).encode("utf-8")
