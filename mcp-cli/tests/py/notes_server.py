"""A small MCP server written with the official MCP Python SDK (`MCPServer`),
for the `mcp` CLI's tests: a server that is not ours.

    notes_server.py --stdio [--variant V]
    notes_server.py --http [--stateless] [--variant V]   # prints "listening on http://127.0.0.1:PORT/mcp"

`--variant` changes the published tools, as a new release of the server
would:
  - `base`: the tools below (`book`'s schema has `$defs` and a `$ref`, which
    the portability lint warns about; `tag`'s a remote `$ref`, an error).
  - `breaking`: `echo` removed, `add` gets a required `c`, `greet`'s
    `name` becomes an integer, `paint`'s colour `green` is gone.
  - `compatible`: a new tool `ping`, `greet` gets an optional `punctuation`,
    `add`'s description is edited.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import socket
import sys
from typing import Annotated, Literal

from mcp.server.mcpserver import Context, Image, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field, WithJsonSchema

class Slot(BaseModel):
    day: str = Field(description="The day, YYYY-MM-DD.")
    hour: int = Field(description="The hour, 0 to 23.")


# A 1x1 transparent PNG.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def build(variant: str) -> MCPServer:
    server = MCPServer("notes", version="1.0.0")
    read_only = ToolAnnotations(readOnlyHint=True)

    if variant == "breaking":

        @server.tool(title="Add numbers", annotations=read_only)
        def add(a: int, b: int, c: int) -> int:
            """Add three integers."""
            return a + b + c

    else:
        description = (
            "Add two integers and return their sum."
            if variant == "compatible"
            else "Add two integers."
        )

        @server.tool(title="Add numbers", description=description, annotations=read_only)
        def add(a: int, b: int) -> int:
            return a + b

    if variant == "breaking":

        @server.tool()
        def greet(name: int, greeting: str = "Hello") -> str:
            """Greet someone by number."""
            return f"{greeting}, #{name}!"

    elif variant == "compatible":

        @server.tool()
        def greet(name: str, greeting: str = "Hello", punctuation: str = "!") -> str:
            """Greet someone."""
            return f"{greeting}, {name}{punctuation}"

    else:

        @server.tool()
        def greet(name: str, greeting: str = "Hello") -> str:
            """Greet someone."""
            return f"{greeting}, {name}!"

    colours = ("red",) if variant == "breaking" else ("red", "green")

    if colours == ("red",):

        @server.tool()
        def paint(colour: Literal["red"]) -> str:
            """Paint the fence."""
            return f"painted {colour}"

    else:

        @server.tool()
        def paint(colour: Literal["red", "green"]) -> str:
            """Paint the fence."""
            return f"painted {colour}"

    if variant != "breaking":

        @server.tool()
        def echo(text: str) -> str:
            """Echo the text back."""
            return text

    if variant == "compatible":

        @server.tool()
        def ping() -> str:
            """Answer pong."""
            return "pong"

    @server.tool()
    async def count(steps: int, ctx: Context) -> str:
        """Count to `steps`, reporting progress at each step."""
        for i in range(1, steps + 1):
            await ctx.report_progress(i, steps, f"step {i}")
            await asyncio.sleep(0.01)
        return f"counted to {steps}"

    @server.tool()
    def pixel() -> Image:
        """A 1x1 PNG."""
        return Image(data=PIXEL, format="png")

    @server.tool()
    def book(slot: Slot, note: str | None = None) -> str:
        """Book a slot (its schema reaches the slot through `$ref`)."""
        return f"booked {slot.day} {slot.hour}:00"

    @server.tool()
    def tag(
        label: Annotated[str, WithJsonSchema({"$ref": "https://schemas.example.com/label.json"})],
    ) -> str:
        """Tag the note (its `label` schema is a reference no client fetches)."""
        return f"tagged {label}"

    @server.tool()
    def fail(reason: str) -> str:
        """Always fails, with the reason given."""
        raise ToolError(f"failed: {reason}")

    return server


async def serve_http(server: MCPServer, stateless: bool) -> None:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    # Listening before the address is announced: connections wait in the
    # backlog until uvicorn accepts them.
    sock.listen(128)
    port = sock.getsockname()[1]
    app = server.streamable_http_app(stateless_http=stateless)
    config = uvicorn.Config(app, log_level="warning")
    print(f"listening on http://127.0.0.1:{port}/mcp", file=sys.stderr, flush=True)
    await uvicorn.Server(config).serve(sockets=[sock])


def main() -> None:
    p = argparse.ArgumentParser()
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--stdio", action="store_true")
    mode.add_argument("--http", action="store_true")
    p.add_argument("--stateless", action="store_true")
    p.add_argument("--variant", choices=["base", "breaking", "compatible"], default="base")
    args = p.parse_args()
    server = build(args.variant)
    if args.stdio:
        server.run("stdio")
    else:
        asyncio.run(serve_http(server, args.stateless))


if __name__ == "__main__":
    main()
