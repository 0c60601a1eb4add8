#!/usr/bin/env python3
"""Drive an MCP server with the official MCP Python SDK client (`mcp` on PyPI).

Used by the Rust integration tests as an independent, spec-strict client. Run it
with the interpreter of the venv that `scripts/py-venv.sh` creates (it prints
that interpreter's path).

Usage:
    mcp_client_driver.py --transport http --url URL [--header 'Name: value']...
                         [--mode legacy|2026|2026-nodiscover|auto] [options] SCRIPT
    mcp_client_driver.py --transport stdio --command CMD [--arg A]... [--env K=V]...
                         [--cwd DIR] [--mode ...] [options] SCRIPT

SCRIPT is a JSON array of steps (or `@path` to read it from a file, `-` for
stdin). Steps run in order; each produces one slot in "results":

    {"op": "list"}                                   tools/list   (optional "cursor")
    {"op": "call", "name": "add", "arguments": {...},
     "progress": true, "meta": {...}, "timeout": 5}   tools/call
    {"op": "ping"}                                   ping (legacy era only)
    {"op": "setLevel", "level": "debug"}             logging/setLevel (legacy era only)
    {"op": "listPrompts"} {"op": "getPrompt", "name": .., "arguments": {..}}
    {"op": "listResources"} {"op": "listResourceTemplates"}
    {"op": "readResource", "uri": ".."}
    {"op": "complete", "ref": {"type": "ref/prompt", "name": ..} | {"type": "ref/resource", "uri": ..},
     "argument": {"name": .., "value": ..}, "context": {..}}      completion/complete
    {"op": "sleep", "seconds": 0.1}                  client-side pause, no traffic

Modes (how the SDK picks the protocol era):
    legacy           initialize handshake (Client(mode="legacy")); the SDK offers
                     protocolVersion 2025-11-25.
    2026             stateless 2026-07-28: one `server/discover` (must succeed, no
                     fallback to initialize), then every request carries the
                     per-request `_meta` envelope + Mcp-Protocol-Version/Mcp-Method
                     headers. serverInfo comes from the discover result's
                     `_meta["io.modelcontextprotocol/serverInfo"]` (null if absent).
    2026-nodiscover  2026-07-28 adopted without any probe (Client(mode="2026-07-28")):
                     the first request on the wire is the first step.
    auto             the SDK default: probe server/discover, fall back to initialize.

Output: ONE JSON document on stdout:
    {"mode": .., "protocolVersion": .., "serverInfo": {..}|null,
     "serverCapabilities": {..}, "instructions": ..,
     "handshake": <InitializeResult or DiscoverResult as parsed>|null,
     "results": [slot, ...]}
where each slot is
    {"op": .., "result": <parsed result, model_dump(mode="json", by_alias=True, exclude_none=True)>}
    {"op": .., "error": {"code": .., "message": .., "data"?: ..}}     JSON-RPC error (MCPError)
    {"op": .., "exception": {"type": .., "message": ..}}              client-side rejection, e.g.
        pydantic ValidationError (result does not match the negotiated schema) or
        RuntimeError (structuredContent missing / not matching the tool's outputSchema)
and call slots always also carry "progress": [{"progress","total","message"}, ...]
(and, with --elicit-answers, "elicitations": the params of each elicitation/create the
server sent during the step)
and "logs": [{"level","logger","data"}, ...] (other ops carry "logs" only when any
arrived). Over HTTP the document also has "http": one {"method","status",
"contentType","mcpMethod","sessionId","issuedSessionId"} entry per HTTP response, in
order (sessionId: the request's Mcp-Session-Id; issuedSessionId: the response's).

Exit status: 0 when the script ran (whatever the slots say); 2 when the client
could not connect / negotiate (message on stderr, with the last failing HTTP
status if any); 64 on bad usage. Values of --arg/--env/--header may start
with '-' (`--arg -c` works).

Caveats of the SDK client worth knowing when reading results: `call` on a tool
not yet listed makes the SDK send an extra tools/list after the call (to get the
outputSchema); stdio servers only inherit HOME LOGNAME PATH SHELL TERM USER plus
--env; in 2026 mode logs arrive only with --log-level (per-request opt-in).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import traceback
import warnings
from typing import Any

import anyio

try:
    import mcp_types as types
    from mcp.client import Client
    from mcp.client.stdio import StdioServerParameters
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client
    from mcp.shared.exceptions import MCPError
    from pydantic import BaseModel, ValidationError
except ImportError as e:  # pragma: no cover
    print(f"mcp_client_driver: cannot import the MCP SDK ({e}); run scripts/py-venv.sh", file=sys.stderr)
    sys.exit(2)

MODERN = "2026-07-28"
EXIT_CONNECT = 2
EXIT_USAGE = 64

# op -> required step keys
OPS: dict[str, tuple[str, ...]] = {
    "list": (),
    "call": ("name",),
    "ping": (),
    "setLevel": ("level",),
    "listPrompts": (),
    "getPrompt": ("name",),
    "listResources": (),
    "listResourceTemplates": (),
    "readResource": ("uri",),
    "complete": ("ref", "argument"),
    "sleep": (),
}


EXCLUDE_UNSET = False  # --exclude-unset


def dump(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_unset=EXCLUDE_UNSET)
    return value


class UsageError(Exception):
    pass


class ConnectError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def _glue_values(argv: list[str]) -> list[str]:
    """`--arg -c` -> `--arg=-c`: values of the repeatable options may start with '-'."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--arg", "--env", "--header") and i + 1 < len(argv):
            out.append(f"{a}={argv[i + 1]}")
            i += 2
        else:
            out.append(a)
            i += 1
    return out


def parse_args(argv: list[str]) -> argparse.Namespace:
    argv = _glue_values(argv)
    p = _Parser(prog="mcp_client_driver.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--transport", choices=["http", "stdio"], required=True)
    p.add_argument("--url", help="Streamable HTTP endpoint, e.g. http://127.0.0.1:8080/mcp")
    p.add_argument("--header", action="append", default=[], help="extra HTTP header 'Name: value' (repeatable)")
    p.add_argument("--command", help="stdio server executable")
    p.add_argument("--arg", action="append", default=[], help="stdio server argument (repeatable)")
    p.add_argument("--env", action="append", default=[], help="stdio server env K=V (repeatable)")
    p.add_argument("--cwd", help="stdio server working directory")
    p.add_argument("--mode", choices=["legacy", "2026", "2026-nodiscover", "auto"], default="legacy")
    p.add_argument("--timeout", type=float, default=30.0, help="per-request read timeout incl. initialize, seconds (default 30); server/discover has the SDK's fixed 10 s")
    p.add_argument(
        "--log-level",
        help="2026-07-28 only: stamp _meta io.modelcontextprotocol/logLevel on every request "
        "(the per-request opt-in for notifications/message)",
    )
    p.add_argument(
        "--elicit-answers",
        help="JSON array of ElicitResult objects: declare the elicitation capability and answer the "
        "n-th elicitation with the n-th (the last repeats); call slots then carry \"elicitations\": "
        "the params of each elicitation/create received",
    )
    p.add_argument("--client-name", default="mcp-client-driver")
    p.add_argument("--client-version", default="0.0.0")
    p.add_argument(
        "--exclude-unset",
        action="store_true",
        help="dump only fields the server actually sent (the SDK's models otherwise fill in defaults, "
        'e.g. a 2025 tools/list result shows ttlMs 0, cacheScope "private", resultType "complete")',
    )
    p.add_argument("--verbose", action="store_true", help="SDK debug logging on stderr")
    p.add_argument("script", help="JSON array of steps, @file, or - for stdin")
    ns = p.parse_args(argv)
    if ns.transport == "http" and not ns.url:
        p.error("--transport http needs --url")
    if ns.transport == "stdio" and not ns.command:
        p.error("--transport stdio needs --command")
    return ns


def load_script(spec: str) -> list[dict[str, Any]]:
    if spec == "-":
        text = sys.stdin.read()
    elif spec.startswith("@"):
        with open(spec[1:], encoding="utf-8") as f:
            text = f.read()
    else:
        text = spec
    try:
        steps = json.loads(text)
    except json.JSONDecodeError as e:
        raise UsageError(f"SCRIPT is not valid JSON: {e}") from e
    if not isinstance(steps, list) or not all(isinstance(s, dict) and isinstance(s.get("op"), str) for s in steps):
        raise UsageError('SCRIPT must be a JSON array of objects with an "op" string')
    for step in steps:
        required = OPS.get(step["op"])
        if required is None:
            raise UsageError(f"unknown op {step['op']!r} (known: {', '.join(OPS)})")
        missing = [k for k in required if k not in step]
        if missing:
            raise UsageError(f"step {step!r} is missing {', '.join(missing)}")
    return steps


def parse_headers(raw: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for h in raw:
        name, sep, value = h.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"bad --header {h!r}; expected 'Name: value'")
        headers[name.strip()] = value.strip()
    return headers


def parse_env(raw: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for kv in raw:
        k, sep, v = kv.partition("=")
        if not sep or not k:
            raise UsageError(f"bad --env {kv!r}; expected K=V")
        env[k] = v
    return env


def describe(exc: BaseException) -> str:
    """One line per leaf exception (anyio wraps transport failures in ExceptionGroups)."""
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(describe(e) for e in exc.exceptions)
    if isinstance(exc, MCPError):
        return f"MCPError {exc.code}: {exc.message}" + (f" (data={exc.data!r})" if exc.data is not None else "")
    return f"{type(exc).__name__}: {exc}"


class Recorder:
    """Collects notifications (and the server's questions) that arrive while a step runs."""

    def __init__(self, elicit_answers: list[dict[str, Any]] | None = None) -> None:
        self.logs: list[dict[str, Any]] = []
        self.elicitations: list[dict[str, Any]] = []
        self.elicit_answers = elicit_answers or []
        self.elicited = 0  # over the whole run, not reset per step

    async def on_elicit(self, context: Any, params: Any) -> Any:
        """Answer the n-th elicitation with the n-th --elicit-answers entry (the last repeats)."""
        self.elicitations.append(dump(params))
        self.elicited += 1
        answer = self.elicit_answers[min(self.elicited, len(self.elicit_answers)) - 1]
        return types.ElicitResult.model_validate(answer)

    def take_elicitations(self) -> list[dict[str, Any]]:
        seen, self.elicitations = self.elicitations, []
        return seen

    async def on_log(self, params: types.LoggingMessageNotificationParams) -> None:
        entry: dict[str, Any] = {"level": params.level, "data": params.data}
        if params.logger is not None:
            entry["logger"] = params.logger
        self.logs.append(entry)

    def take_logs(self) -> list[dict[str, Any]]:
        logs, self.logs = self.logs, []
        return logs


async def settle() -> None:
    # Progress and log callbacks are spawned as tasks by the SDK's dispatcher when
    # the notification is read; give them a few loop turns after the response.
    for _ in range(5):
        await anyio.sleep(0)
    await anyio.sleep(0.01)


async def run_step(client: Client, step: dict[str, Any], rec: Recorder, timeout: float) -> dict[str, Any]:
    op = step["op"]
    slot: dict[str, Any] = {"op": op}
    progress: list[dict[str, Any]] = []

    async def on_progress(p: float, total: float | None, message: str | None) -> None:
        entry: dict[str, Any] = {"progress": p}
        if total is not None:
            entry["total"] = total
        if message is not None:
            entry["message"] = message
        progress.append(entry)

    meta = step.get("meta")
    try:
        if op == "list":
            result: Any = await client.list_tools(cursor=step.get("cursor"), meta=meta)
        elif op == "call":
            result = await client.call_tool(
                step["name"],
                step.get("arguments"),
                read_timeout_seconds=step.get("timeout", timeout),
                progress_callback=on_progress if step.get("progress") else None,
                meta=meta,
            )
        elif op == "ping":
            result = await client.session.send_ping(meta=meta)
        elif op == "setLevel":
            result = await client.session.set_logging_level(step["level"], meta=meta)
        elif op == "listPrompts":
            result = await client.list_prompts(cursor=step.get("cursor"), meta=meta)
        elif op == "getPrompt":
            result = await client.get_prompt(step["name"], step.get("arguments"), meta=meta)
        elif op == "listResources":
            result = await client.list_resources(cursor=step.get("cursor"), meta=meta)
        elif op == "listResourceTemplates":
            result = await client.list_resource_templates(cursor=step.get("cursor"), meta=meta)
        elif op == "readResource":
            result = await client.read_resource(step["uri"], meta=meta)
        elif op == "complete":
            ref = step["ref"]
            reference: Any = (
                types.PromptReference(type="ref/prompt", name=ref["name"])
                if ref.get("type") == "ref/prompt"
                else types.ResourceTemplateReference(type="ref/resource", uri=ref["uri"])
            )
            result = await client.complete(reference, step["argument"], step.get("context"))
        elif op == "sleep":
            await anyio.sleep(float(step.get("seconds", 0)))
            result = {}
        else:  # pragma: no cover - load_script rejects unknown ops
            raise AssertionError(op)
        slot["result"] = dump(result)
    except MCPError as e:
        err: dict[str, Any] = {"code": e.code, "message": e.message}
        if e.data is not None:
            err["data"] = dump(e.data)
        slot["error"] = err
    except (ValidationError, RuntimeError, TimeoutError, ValueError, TypeError) as e:
        slot["exception"] = {"type": type(e).__name__, "message": str(e)}
    await settle()
    logs = rec.take_logs()
    if rec.elicit_answers:
        slot["elicitations"] = rec.take_elicitations()
    if op == "call":
        slot["progress"] = progress
        slot["logs"] = logs
    elif logs:
        slot["logs"] = logs
    return slot


async def drive(ns: argparse.Namespace, steps: list[dict[str, Any]]) -> dict[str, Any]:
    rec = Recorder(json.loads(ns.elicit_answers) if ns.elicit_answers else None)
    sdk_mode = {"legacy": "legacy", "auto": "auto", "2026": MODERN, "2026-nodiscover": MODERN}[ns.mode]
    client_kwargs: dict[str, Any] = dict(
        mode=sdk_mode,
        read_timeout_seconds=ns.timeout,
        logging_callback=rec.on_log,
        log_level=ns.log_level,
        client_info=types.Implementation(name=ns.client_name, version=ns.client_version),
        cache=None,  # every step must reach the server (no SEP-2549 ttl caching)
    )
    if rec.elicit_answers:
        # Declares the elicitation capability; answers both eras' questions
        # (2025-11-25 requests on the stream, 2026-07-28 InputRequiredResult rounds).
        client_kwargs["elicitation_callback"] = rec.on_elicit

    async def with_client(server: Any) -> dict[str, Any]:
        client = Client(server, **client_kwargs)
        try:
            await client.__aenter__()
        except Exception as e:
            # __aenter__ unwinds its own transport on failure.
            raise ConnectError(describe(e)) from e
        try:
            if ns.mode == "2026":
                # Client(mode="2026-07-28") adopted a synthesized DiscoverResult without
                # touching the wire; replace it with the server's real one (no fallback).
                try:
                    raw = await client.session.send_discover(MODERN)
                    client.session.adopt(types.DiscoverResult.model_validate(raw))
                except Exception as e:
                    raise ConnectError(f"server/discover failed: {describe(e)}") from e
            session = client.session
            out: dict[str, Any] = {
                "mode": ns.mode,
                "protocolVersion": client.protocol_version,
                "serverInfo": dump(client.server_info),
                "serverCapabilities": dump(client.server_capabilities),
                "instructions": client.instructions,
                "handshake": dump(session.initialize_result or session.discover_result),
                "results": [],
            }
            await settle()
            stray = rec.take_logs()
            if stray:
                out["connectLogs"] = stray
            for step in steps:
                out["results"].append(await run_step(client, step, rec, ns.timeout))
            return out
        finally:
            await client.__aexit__(None, None, None)

    if ns.transport == "http":
        headers = parse_headers(ns.header)
        exchanges: list[dict[str, Any]] = []

        async def on_response(response: Any) -> None:
            req = response.request
            entry: dict[str, Any] = {"method": req.method, "status": response.status_code}
            if ctype := response.headers.get("content-type"):
                entry["contentType"] = ctype
            if mcp_method := req.headers.get("mcp-method"):
                entry["mcpMethod"] = mcp_method
            if sent := req.headers.get("mcp-session-id"):
                entry["sessionId"] = sent
            if issued := response.headers.get("mcp-session-id"):
                entry["issuedSessionId"] = issued
            exchanges.append(entry)

        async with create_mcp_http_client(headers=headers) as http:
            http.event_hooks = {"request": [], "response": [on_response]}
            try:
                out = await with_client(streamable_http_client(ns.url, http_client=http))
            except ConnectError as e:
                failed = [x for x in exchanges if x["status"] >= 300]
                if failed:
                    last = failed[-1]
                    raise ConnectError(f"{e} [HTTP {last['status']} {last.get('contentType', '')}]".rstrip()) from e
                raise
            out["http"] = exchanges
            return out
    params = StdioServerParameters(command=ns.command, args=ns.arg, env=parse_env(ns.env) or None, cwd=ns.cwd)
    return await with_client(params)


def main(argv: list[str]) -> int:
    global EXCLUDE_UNSET
    ns = parse_args(argv)
    EXCLUDE_UNSET = ns.exclude_unset
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG if ns.verbose else logging.WARNING)
    warnings.simplefilter("ignore")  # ping / setLevel are deprecated at 2026-07-28; keep stderr clean
    try:
        steps = load_script(ns.script)
        out = anyio.run(drive, ns, steps)
    except UsageError as e:
        print(f"mcp_client_driver: {e}", file=sys.stderr)
        return EXIT_USAGE
    except ConnectError as e:
        print(f"mcp_client_driver: could not connect: {e}", file=sys.stderr)
        return EXIT_CONNECT
    except BaseException as e:  # noqa: BLE001 - anything else is a driver/transport failure
        if isinstance(e, KeyboardInterrupt):
            raise
        print(f"mcp_client_driver: failed: {describe(e)}", file=sys.stderr)
        if ns.verbose:
            traceback.print_exc()
        return EXIT_CONNECT
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
