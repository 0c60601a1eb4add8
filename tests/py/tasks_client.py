#!/usr/bin/env python3
"""Run one tool as a task (SEP-2663, protocol 2026-07-28) with the official MCP
Python SDK client (`mcp` on PyPI), through the SDK's own extension API: a
`ClientExtension` advertising `io.modelcontextprotocol/tasks` claims the
`resultType: "task"` result of `tools/call` and resolves it by polling
`tasks/get` (the SDK sets `Mcp-Name: <taskId>` from `name_param`).

Usage:
    tasks_client.py --url URL [--header 'Name: value']... [--cancel-after-progress]
                    TOOL ARGUMENTS_JSON

With --cancel-after-progress the task is cancelled (`tasks/cancel`) as soon as
`tasks/get` shows progress above 0. Output: one JSON document on stdout:
    {"created": <CreateTaskResult>, "statuses": [..each status seen, deduplicated..],
     "progress": <last progress seen>|null, "cancelAck": {..}|null,
     "final": <DetailedTask of the terminal state>, "result": <CallToolResult the SDK returned>}
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Literal

import anyio
import mcp_types as types
from mcp.client import Client
from mcp.client.extension import ClaimContext, ClientExtension, ResultClaim
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from pydantic import ConfigDict, Field

EXTENSION = "io.modelcontextprotocol/tasks"
TERMINAL = {"completed", "failed", "cancelled"}


class CreateTaskResult(types.Result):
    model_config = ConfigDict(extra="allow")
    result_type: Literal["task"] = Field(alias="resultType")
    task_id: str = Field(alias="taskId")
    status: str
    ttl_ms: int | None = Field(alias="ttlMs", default=None)
    poll_interval_ms: int | None = Field(alias="pollIntervalMs", default=None)


class TaskParams(types.RequestParams):
    task_id: str = Field(alias="taskId")


class TasksGet(types.Request[TaskParams, Literal["tasks/get"]]):
    method: Literal["tasks/get"] = "tasks/get"
    params: TaskParams
    name_param = "taskId"


class TasksCancel(types.Request[TaskParams, Literal["tasks/cancel"]]):
    method: Literal["tasks/cancel"] = "tasks/cancel"
    params: TaskParams
    name_param = "taskId"


class DetailedTask(types.Result):
    model_config = ConfigDict(extra="allow")
    task_id: str = Field(alias="taskId")
    status: str


class Ack(types.Result):
    model_config = ConfigDict(extra="allow")


class Tasks(ClientExtension):
    identifier = EXTENSION

    def __init__(self, cancel_after_progress: bool) -> None:
        self.cancel_after_progress = cancel_after_progress
        self.report: dict[str, Any] = {"statuses": [], "progress": None, "cancelAck": None}

    def claims(self) -> list[ResultClaim[Any]]:
        return [ResultClaim(result_type="task", model=CreateTaskResult, resolve=self.resolve)]

    async def resolve(self, created: CreateTaskResult, ctx: ClaimContext) -> types.CallToolResult:
        self.report["created"] = created.model_dump(mode="json", by_alias=True, exclude_none=True)
        params = TaskParams.model_validate({"taskId": created.task_id})
        interval = (created.poll_interval_ms or 500) / 1000
        with anyio.fail_after(60):
            while True:
                got = await ctx.session.send_request(TasksGet(params=params), DetailedTask)
                task = got.model_dump(mode="json", by_alias=True, exclude_none=True)
                if not self.report["statuses"] or self.report["statuses"][-1] != got.status:
                    self.report["statuses"].append(got.status)
                progress = (task.get("_meta") or {}).get("dev.mcp-runtime/progress")
                if progress is not None:
                    self.report["progress"] = progress
                if got.status in TERMINAL:
                    self.report["final"] = task
                    break
                moved = bool(progress) and (progress.get("progress") or 0) > 0
                if self.cancel_after_progress and moved and self.report["cancelAck"] is None:
                    ack = await ctx.session.send_request(TasksCancel(params=params), Ack)
                    self.report["cancelAck"] = ack.model_dump(mode="json", by_alias=True, exclude_none=True)
                await anyio.sleep(interval)
        final = self.report["final"]
        if final["status"] == "completed":
            return types.CallToolResult.model_validate(final["result"])
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=f"the task ended {final['status']}")],
            is_error=True,
        )


async def run(ns: argparse.Namespace) -> dict[str, Any]:
    headers: dict[str, str] = {}
    for h in ns.header:
        name, _, value = h.partition(":")
        headers[name.strip()] = value.strip()
    tasks = Tasks(ns.cancel_after_progress)
    async with create_mcp_http_client(headers=headers) as http:
        client = Client(
            streamable_http_client(ns.url, http_client=http),
            mode="2026-07-28",
            extensions=[tasks],
            cache=None,
        )
        async with client:
            result = await client.call_tool(ns.tool, json.loads(ns.arguments))
    out = dict(tasks.report)
    out["result"] = result.model_dump(mode="json", by_alias=True, exclude_none=True)
    return out


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--header", action="append", default=[])
    p.add_argument("--cancel-after-progress", action="store_true")
    p.add_argument("tool")
    p.add_argument("arguments")
    ns = p.parse_args()
    print(json.dumps(anyio.run(run, ns)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
