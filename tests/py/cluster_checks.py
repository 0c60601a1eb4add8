#!/usr/bin/env python3
"""The checks of `scripts/cluster.sh test`: three shop replicas on Postgres and
Redis behind nginx, driven through nginx only by the official MCP Python SDK
client (`mcp`, the venv of scripts/py-venv.sh).

    cluster_checks.py --env DIR/cluster.env [--load-seconds 60] [--only eras|load|limit]

1. eras: in 2025-11-25 (initialize) and 2026-07-28 (server/discover, then
   stateless requests), tools/list and all nine shop tools with exact values
   from the seed data, the idempotent retry, and tenant isolation (acme never
   sees globex's records, by any tool; the key bound to acme cannot act for
   globex).
2. load: several concurrent clients write (create_quote, submit_return, each
   with its own idempotency key; on a connection error or timeout the client
   retries with the same key, and re-sends some acknowledged keys on purpose)
   for --load-seconds while one replica hangs, is SIGKILLed with requests in
   flight and restarted, and Redis is restarted. Then Postgres, read directly with psql: every acknowledged
   write is there exactly once, with the number it was acknowledged with,
   for its tenant; every answer to one key was the same record; no refused
   key left a row; no order returned beyond what was ordered; no replica but
   the killed one exited; no write answered server_error outside the faults'
   windows (each fault's action and FAULT_GRACE_S after it).
3. limit: the per-tenant limit R/min holds across the replicas: 1.5 R calls
   for one fresh tenant, fired at once through nginx, are served at most
   R + the refill during the burst (see check_limit), and the rest answer
   rate_limit with retryAfterMs; every replica served some.

Prints one line per check; exits 1 on the first failed check (with what was
expected and what came), 2 when the cluster cannot be reached.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any

import anyio

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcp_client_driver import MODERN, describe, dump  # noqa: E402  (the driver's SDK import and dump)

import mcp_types as types  # noqa: E402
from mcp.client import Client  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402
from mcp.shared._httpx_utils import create_mcp_http_client  # noqa: E402

TOOLS = [
    "check_inventory",
    "create_quote",
    "export_invoices",
    "get_customer",
    "get_order",
    "get_shipping_status",
    "list_invoices",
    "search_products",
    "submit_return",
]


class CheckFailed(Exception):
    pass


def expect(cond: bool, what: str, got: Any = None) -> None:
    if not cond:
        raise CheckFailed(what + ("" if got is None else f"\n  got: {json.dumps(got, default=str)[:2000]}"))


def equal(got: Any, want: Any, what: str) -> None:
    if got != want:
        raise CheckFailed(
            f"{what}\n  want: {json.dumps(want, default=str)[:2000]}\n  got:  {json.dumps(got, default=str)[:2000]}"
        )


def money(amount: str, currency: str) -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def read_env(path: str) -> dict[str, str]:
    env: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            k, sep, v = line.strip().partition("=")
            if sep:
                env[k] = v.strip('"')
    return env


# ------------------------------------------------------------- one client


@dataclass
class Answer:
    """A tool call's outcome: `ok` (structured result) or a tool error."""

    ok: dict[str, Any] | None = None
    error: dict[str, Any] | None = None

    @property
    def kind(self) -> str:
        return "ok" if self.ok is not None else self.error["type"]


def answer_of(result: types.CallToolResult) -> Answer:
    if not result.is_error:
        expect(result.structured_content is not None, "a structured result", dump(result))
        return Answer(ok=result.structured_content)
    texts = [c.text for c in result.content if isinstance(c, types.TextContent)]
    expect(len(texts) == 1, "one text block in a tool error", dump(result))
    err = json.loads(texts[0])["error"]
    return Answer(error=err)


class Session:
    """One SDK client through nginx, in one era, with one bearer key."""

    def __init__(self, url: str, secret: str, era: str, timeout: float = 15.0) -> None:
        self.url, self.secret, self.era, self.timeout = url, secret, era, timeout
        self._stack: Any = None
        self.client: Client | None = None

    async def open(self) -> None:
        from contextlib import AsyncExitStack

        stack = AsyncExitStack()
        try:
            http = await stack.enter_async_context(
                create_mcp_http_client(headers={"Authorization": f"Bearer {self.secret}"})
            )
            client = Client(
                streamable_http_client(self.url, http_client=http),
                mode="legacy" if self.era == "2025-11-25" else MODERN,
                read_timeout_seconds=self.timeout,
                client_info=types.Implementation(name="cluster-checks", version="1.0.0"),
                cache=None,
            )
            await stack.enter_async_context(client)
            if self.era == MODERN:
                raw = await client.session.send_discover(MODERN)
                client.session.adopt(types.DiscoverResult.model_validate(raw))
        except BaseException:
            await stack.aclose()
            raise
        self._stack, self.client = stack, client

    async def close(self) -> None:
        stack, self._stack, self.client = self._stack, None, None
        if stack is not None:
            try:
                await stack.aclose()
            except BaseException:  # noqa: BLE001 - a broken transport may fail its own close
                pass

    async def call(self, tool: str, tenant: str | None, args: dict[str, Any]) -> Answer:
        if self.client is None:
            await self.open()
        arguments = dict(args)
        if tenant is not None:
            arguments["tenantId"] = tenant
        result = await self.client.call_tool(tool, arguments, read_timeout_seconds=self.timeout)
        return answer_of(result)

    async def ok(self, tool: str, tenant: str | None, args: dict[str, Any]) -> dict[str, Any]:
        a = await self.call(tool, tenant, args)
        expect(a.ok is not None, f"{tool} {args} for {tenant}: a result", a.error)
        return a.ok

    async def refused(self, tool: str, tenant: str | None, args: dict[str, Any], kind: str) -> str:
        a = await self.call(tool, tenant, args)
        expect(a.error is not None and a.error["type"] == kind, f"{tool} {args} for {tenant}: {kind}", a.ok or a.error)
        return a.error["message"]


def ids(items: list[dict[str, Any]], key: str) -> list[str]:
    return [i[key] for i in items]


# ------------------------------------------------------------- 1. both eras


async def check_era(env: dict[str, str], era: str) -> None:
    url = env["MCP_URL"]
    s = Session(url, env["HUB_SECRET"], era)
    await s.open()
    try:
        info = s.client.server_info
        expect(info is not None and info.name == "shop", f"{era}: serverInfo names the shop", dump(info))
        listed = await s.client.list_tools()
        tools = [t.name for t in listed.tools]
        equal(sorted(tools), TOOLS, f"{era}: tools/list")
        for t in listed.tools:
            expect("tenantId" not in (t.input_schema.get("properties") or {}), f"{era}: {t.name} hides tenantId")

        # get_order
        equal(
            await s.ok("get_order", "acme", {"orderNumber": "ORD-10001"}),
            {
                "orderNumber": "ORD-10001",
                "customerId": "CUS-1001",
                "status": "delivered",
                "placedAt": "2026-10-28T09:14:00Z",
                "items": [
                    {"productId": "PRD-1001", "name": "Trailblazer 2 Tent", "quantity": 1,
                     "unitPrice": money("249.00", "EUR"), "lineTotal": money("249.00", "EUR")},
                    {"productId": "PRD-1008", "name": "Titanium Camping Mug", "quantity": 2,
                     "unitPrice": money("24.50", "EUR"), "lineTotal": money("49.00", "EUR")},
                ],
                "subtotal": money("298.00", "EUR"),
                "shippingCost": money("4.90", "EUR"),
                "tax": money("57.55", "EUR"),
                "total": money("360.45", "EUR"),
                "shippingAddress": {
                    "name": "Anna Schmidt", "line1": "Kastanienallee 21", "line2": None,
                    "city": "Berlin", "postalCode": "10435", "region": None, "country": "DE",
                },
                "estimatedDelivery": "2026-10-31",
                "trackingNumber": "1ZA4E5790312345671",
                "carrier": "UPS",
            },
            f"{era}: get_order ORD-10001",
        )
        o = await s.ok("get_order", "globex", {"orderNumber": "ORD-20003"})
        equal(
            [o["orderNumber"], o["status"], o["customerId"], o["total"]["currency"],
             o["shippingAddress"]["name"], o["trackingNumber"], o["carrier"]],
            ["ORD-20003", "pending", "CUS-2003", "USD", "Lakeside Dental Group", None, None],
            f"{era}: get_order ORD-20003 (globex)",
        )

        # search_products
        found = await s.ok("search_products", "acme", {"query": "tent"})
        equal(ids(found["products"], "productId"), ["PRD-1002", "PRD-1001"], f"{era}: search tent")
        equal(found["pagination"], {"page": 1, "pageSize": 20, "totalItems": 2, "totalPages": 1}, f"{era}: pagination")
        equal(
            found["products"][1],
            {
                "productId": "PRD-1001",
                "name": "Trailblazer 2 Tent",
                "description": "Two-person, three-season backpacking tent; 1.9 kg, aluminium poles, two vestibules.",
                "category": "Tents",
                "price": money("249.00", "EUR"),
                "availableQuantity": 18,
                "inStock": True,
            },
            f"{era}: the tent",
        )

        # create_quote, and its retry: gold tier, 5 % off 537.95; 19 % VAT.
        key = f"cluster-{era}-quote-1"
        items = [{"productId": "PRD-1001", "quantity": 2}, {"productId": "PRD-1009", "quantity": 1}]
        q = await s.ok("create_quote", "acme", {"customerId": "CUS-1001", "items": items, "idempotencyKey": key})
        expect(re.fullmatch(r"QUO-\d{6}", q["quoteNumber"]) is not None, f"{era}: quote number", q)
        equal(
            {k: q[k] for k in ("customerId", "status", "lines", "subtotal", "discount", "tax", "total")},
            {
                "customerId": "CUS-1001",
                "status": "open",
                "lines": [
                    {"productId": "PRD-1001", "name": "Trailblazer 2 Tent", "quantity": 2,
                     "unitPrice": money("249.00", "EUR"), "lineTotal": money("498.00", "EUR")},
                    {"productId": "PRD-1009", "name": "Headlamp 400", "quantity": 1,
                     "unitPrice": money("39.95", "EUR"), "lineTotal": money("39.95", "EUR")},
                ],
                "subtotal": money("537.95", "EUR"),
                "discount": money("26.90", "EUR"),
                "tax": money("97.10", "EUR"),
                "total": money("608.15", "EUR"),
            },
            f"{era}: create_quote",
        )
        # Three more times: round robin puts them on every replica.
        for _ in range(3):
            equal(
                await s.ok("create_quote", "acme", {"customerId": "CUS-1001", "items": items, "idempotencyKey": key}),
                q,
                f"{era}: create_quote retried with the same key",
            )

        # check_inventory
        equal(
            await s.ok("check_inventory", "acme", {"productIds": ["PRD-1001", "PRD-1005"]}),
            {"products": [
                {"productId": "PRD-1001", "name": "Trailblazer 2 Tent", "totalAvailable": 18, "warehouses": [
                    {"warehouseId": "WH-BER", "name": "Berlin Central", "city": "Berlin", "onHand": 14, "reserved": 2, "available": 12},
                    {"warehouseId": "WH-HAM", "name": "Hamburg Port", "city": "Hamburg", "onHand": 6, "reserved": 0, "available": 6},
                ]},
                {"productId": "PRD-1005", "name": "Ridge Hiking Boots", "totalAvailable": 6, "warehouses": [
                    {"warehouseId": "WH-BER", "name": "Berlin Central", "city": "Berlin", "onHand": 0, "reserved": 0, "available": 0},
                    {"warehouseId": "WH-HAM", "name": "Hamburg Port", "city": "Hamburg", "onHand": 7, "reserved": 1, "available": 6},
                ]},
            ]},
            f"{era}: check_inventory",
        )

        # get_customer, with acme's orders only.
        c = await s.ok("get_customer", "acme", {"customerId": "CUS-1001", "includeHistory": True})
        equal(
            [c["customerId"], c["name"], c["email"], c["tier"], c["company"], c["orderCount"],
             c["lifetimeValue"], c["openBalance"], ids(c["orderHistory"], "orderNumber"),
             c["orderHistory"][1]["total"]],
            ["CUS-1001", "Anna Schmidt", "anna.schmidt@example.com", "gold", None, 2,
             money("626.83", "EUR"), money("266.38", "EUR"), ["ORD-10002", "ORD-10001"],
             money("360.45", "EUR")],
            f"{era}: get_customer",
        )

        # list_invoices
        inv = await s.ok("list_invoices", "acme", {})
        equal(
            [(i["invoiceNumber"], i["status"]) for i in inv["invoices"]],
            [("INV-10004", "draft"), ("INV-10002", "open"), ("INV-10005", "void"),
             ("INV-10001", "paid"), ("INV-10003", "overdue")],
            f"{era}: list_invoices",
        )
        equal(
            inv["invoices"][3],
            {"invoiceNumber": "INV-10001", "customerId": "CUS-1001", "orderNumber": "ORD-10001",
             "status": "paid", "issuedOn": "2026-10-28", "dueOn": "2026-11-27", "paidOn": "2026-10-28",
             "total": money("360.45", "EUR"), "amountDue": money("0.00", "EUR")},
            f"{era}: INV-10001",
        )
        equal(inv["invoices"][4]["amountDue"], money("2396.66", "EUR"), f"{era}: INV-10003 due")
        equal(inv["pagination"], {"page": 1, "pageSize": 20, "totalItems": 5, "totalPages": 1}, f"{era}: invoices pages")

        # export_invoices (called plainly: a task only for a client of the
        # tasks extension): the same five invoices as CSV, acme's only.
        exported = await s.client.call_tool(
            "export_invoices", {"tenantId": "acme"}, read_timeout_seconds=s.timeout
        )
        expect(not exported.is_error, f"{era}: export_invoices", dump(exported))
        texts = [c.text for c in exported.content if isinstance(c, types.TextContent)]
        equal(texts, ["5 invoices exported as CSV"], f"{era}: export_invoices summary")
        csv = [c.resource.text for c in exported.content if isinstance(c, types.EmbeddedResource)]
        expect(len(csv) == 1, f"{era}: one CSV resource", dump(exported))
        rows = csv[0].strip().split("\n")
        equal(
            [r.split(",")[0] for r in rows[1:]],
            ["INV-10001", "INV-10002", "INV-10003", "INV-10004", "INV-10005"],
            f"{era}: export_invoices rows",
        )
        equal(rows[0].split(",")[0], "invoice_number", f"{era}: export_invoices header")

        # submit_return: one of the two mugs of ORD-10001 per era.
        rkey = f"cluster-{era}-return-1"
        rargs = {"orderNumber": "ORD-10001",
                 "items": [{"productId": "PRD-1008", "quantity": 1, "reason": "damaged"}],
                 "idempotencyKey": rkey}
        rma = await s.ok("submit_return", "acme", rargs)
        expect(re.fullmatch(r"RMA-\d{6}", rma["rmaNumber"]) is not None, f"{era}: RMA number", rma)
        equal(
            [rma["orderNumber"], rma["status"], rma["items"], rma["refundTotal"], "13407 Berlin" in rma["returnAddress"]],
            ["ORD-10001", "authorized",
             [{"productId": "PRD-1008", "name": "Titanium Camping Mug", "quantity": 1,
               "reason": "damaged", "refundAmount": money("24.50", "EUR")}],
             money("24.50", "EUR"), True],
            f"{era}: submit_return",
        )
        equal(await s.ok("submit_return", "acme", rargs), rma, f"{era}: submit_return retried")

        # get_shipping_status
        ship = await s.ok("get_shipping_status", "acme", {"trackingNumber": "1ZA4E5790312345671"})
        equal(
            [ship["orderNumber"], ship["carrier"], ship["service"], ship["status"], ship["deliveredAt"],
             len(ship["events"]), ship["events"][0]["status"], ship["events"][4]["status"]],
            ["ORD-10001", "UPS", "UPS Standard", "delivered", "2026-10-31T13:21:00Z", 5, "delivered", "label_created"],
            f"{era}: get_shipping_status",
        )
        ship = await s.ok("get_shipping_status", "globex", {"trackingNumber": "794612345678"})
        equal([ship["orderNumber"], ship["carrier"], ship["service"], ship["status"]],
              ["ORD-20001", "FedEx", "FedEx 2Day", "delivered"], f"{era}: globex parcel")

        # The error kinds.
        m = await s.refused("get_order", "acme", {"orderNumber": "ORD-1"}, "validation_error")
        expect("orderNumber" in m, f"{era}: the field is named", m)
        m = await s.refused("get_order", "acme", {"orderNumber": "ORD-99999"}, "not_found")
        expect("ORD-99999" in m, f"{era}: the unknown id is named", m)
        m = await s.refused("get_order", None, {"orderNumber": "ORD-10001"}, "validation_error")
        expect("tenantId" in m, f"{era}: no tenant, no answer", m)

        # Tenant isolation: the same questions, each tenant's own answers...
        acme = ids((await s.ok("search_products", "acme", {"query": "*", "pageSize": 100}))["products"], "productId")
        globex = ids((await s.ok("search_products", "globex", {"query": "*", "pageSize": 100}))["products"], "productId")
        expect(len(acme) == 10 and all(p.startswith("PRD-1") for p in acme), f"{era}: acme's products", acme)
        expect(len(globex) == 9 and all(p.startswith("PRD-2") for p in globex), f"{era}: globex's products", globex)
        tent = await s.ok("search_products", "globex", {"query": "tent"})
        equal([tent["products"], tent["pagination"]["totalItems"]], [[], 0], f"{era}: no tents at globex")
        gi = (await s.ok("list_invoices", "globex", {"pageSize": 100}))["invoices"]
        expect(
            len(gi) == 4 and all(i["invoiceNumber"].startswith("INV-2") and i["customerId"].startswith("CUS-2")
                                 and i["total"]["currency"] == "USD" for i in gi),
            f"{era}: globex's invoices", gi,
        )
        # ... and the other tenant's identifiers refused by every kind of tool.
        for tool, tenant, args in [
            ("get_order", "acme", {"orderNumber": "ORD-20001"}),
            ("get_customer", "globex", {"customerId": "CUS-1001"}),
            ("check_inventory", "globex", {"productIds": ["PRD-1001"]}),
            ("get_shipping_status", "globex", {"trackingNumber": "1ZA4E5790312345671"}),
            ("list_invoices", "acme", {"customerId": "CUS-2001"}),
            ("create_quote", "globex", {"customerId": "CUS-1001", "items": [{"productId": "PRD-2008", "quantity": 1}],
                                        "idempotencyKey": key}),
            ("submit_return", "acme", {"orderNumber": "ORD-20001",
                                       "items": [{"productId": "PRD-2008", "quantity": 1, "reason": "damaged"}],
                                       "idempotencyKey": f"cluster-{era}-return-x"}),
        ]:
            m = await s.refused(tool, tenant, args, "permission_denied")
            # Naming the identifier asked for, nothing of the record behind it.
            asked = set(re.findall(r"(?:CUS|ORD|PRD)-\d+|\d{12,}", json.dumps(args)))
            named = set(re.findall(r"(?:CUS|ORD|PRD)-\d+|\d{12,}", m))
            expect(named <= asked and "Garcia" not in m and "Schmidt" not in m, f"{era}: {tool} leaks nothing", m)
        # globex's own quote under acme's key: keys are per tenant.
        gq = await s.ok("create_quote", "globex", {"customerId": "CUS-2002",
                                                   "items": [{"productId": "PRD-2008", "quantity": 3}],
                                                   "idempotencyKey": key})
        expect(gq["quoteNumber"] != q["quoteNumber"], f"{era}: a new quote for globex", gq)
        equal([gq["customerId"], gq["subtotal"], gq["tax"], gq["total"]],
              ["CUS-2002", money("149.97", "USD"), money("12.37", "USD"), money("162.34", "USD")],
              f"{era}: globex's quote")
    finally:
        await s.close()

    # The key bound to acme: acme's records, never globex's.
    b = Session(url, env["ACME_SECRET"], era)
    try:
        equal((await b.ok("get_order", "acme", {"orderNumber": "ORD-10001"}))["status"], "delivered", f"{era}: bound key")
        for tool, args in [("get_order", {"orderNumber": "ORD-20001"}), ("search_products", {"query": "*"})]:
            m = await b.refused(tool, "globex", args, "permission_denied")
            expect("may not act for tenant `globex`" in m, f"{era}: the bound key for globex", m)
    finally:
        await b.close()


# ------------------------------------------------------------- 2. the load

ACME = {"currency": "EUR", "customers": ["CUS-1001", "CUS-1002", "CUS-1003"], "products": [f"PRD-{n}" for n in range(1001, 1011)],
        "returns": [("ORD-10001", "PRD-1001"), ("ORD-10004", "PRD-1002"), ("ORD-10004", "PRD-1007")]}
GLOBEX = {"currency": "USD", "customers": ["CUS-2001", "CUS-2002", "CUS-2003"], "products": [f"PRD-{n}" for n in range(2001, 2010)],
          "returns": [("ORD-20001", "PRD-2001"), ("ORD-20001", "PRD-2008"), ("ORD-20004", "PRD-2005")]}
DATA = {"acme": ACME, "globex": GLOBEX}


@dataclass
class Write:
    tool: str
    tenant: str
    args: dict[str, Any]
    answers: list[Answer] = field(default_factory=list)
    attempts: int = 0


@dataclass
class LoadStats:
    writes: list[Write] = field(default_factory=list)
    connection_errors: int = 0
    rate_limited: int = 0
    server_errors: int = 0
    server_error_messages: set[str] = field(default_factory=set)
    # When each server_error came (time.monotonic()) and what it said.
    server_error_log: list[tuple[float, str]] = field(default_factory=list)
    replays: int = 0
    failures: list[str] = field(default_factory=list)


def new_write(tenant: str, rng: random.Random, prefix: str) -> Write:
    d = DATA[tenant]
    key = f"{prefix}{uuid.uuid4()}"
    if rng.random() < 0.8:
        items = [{"productId": p, "quantity": rng.randint(1, 5)} for p in rng.sample(d["products"], rng.randint(1, 3))]
        return Write("create_quote", tenant, {"customerId": rng.choice(d["customers"]), "items": items, "idempotencyKey": key})
    order, product = rng.choice(d["returns"])
    return Write("submit_return", tenant, {"orderNumber": order, "items": [{"productId": product, "quantity": 1,
                                                                            "reason": "no_longer_needed"}],
                                           "idempotencyKey": key})


async def send(session: Session, w: Write, stats: LoadStats) -> Answer:
    """Send `w` until it has an answer: after a connection error or timeout,
    with the same key on a new connection; after rate_limit, once the server
    said. Gives up (a failure) after 60 s."""
    give_up = time.monotonic() + 60
    while True:
        w.attempts += 1
        try:
            a = await session.call(w.tool, w.tenant, w.args)
        except Exception as e:  # noqa: BLE001 - the transport's failure, whatever its type
            stats.connection_errors += 1
            await session.close()
            if time.monotonic() > give_up:
                stats.failures.append(f"{w.tool} {w.args['idempotencyKey']}: no answer in 60 s ({describe(e)})")
                raise
            await anyio.sleep(0.05)
            continue
        if a.error is not None and a.error["type"] == "rate_limit":
            stats.rate_limited += 1
            await anyio.sleep(min(a.error["retryAfterMs"], 2000) / 1000)
            continue
        if a.error is not None and a.error["type"] == "server_error":
            # Retryable by definition (e.g. the state store refusing); the
            # same key again.
            stats.server_errors += 1
            stats.server_error_messages.add(a.error["message"])
            stats.server_error_log.append((time.monotonic(), a.error["message"]))
            await anyio.sleep(0.1)
            continue
        w.answers.append(a)
        return a


async def worker(
    env: dict[str, str], era: str, tenant: str, seed: int, stop_at: float, stats: LoadStats, prefix: str
) -> None:
    rng = random.Random(seed)
    session = Session(env["MCP_URL"], env["HUB_SECRET"], era, timeout=10.0)
    acked: list[Write] = []
    acked_ids: set[int] = set()
    try:
        while time.monotonic() < stop_at:
            if acked and rng.random() < 0.1:
                # A client that lost an answer it in fact got: the same key again.
                w = rng.choice(acked)
                stats.replays += 1
            else:
                w = new_write(tenant, rng, prefix)
                stats.writes.append(w)
            a = await send(session, w, stats)
            if a.ok is not None and id(w) not in acked_ids:
                acked_ids.add(id(w))
                acked.append(w)
    finally:
        await session.close()


def pids(env: dict[str, str]) -> dict[int, int | None]:
    out: dict[int, int | None] = {}
    for n in range(1, int(env["REPLICAS"]) + 1):
        try:
            with open(os.path.join(env["CLUSTER_DIR"], f"shop-{n}.pid"), encoding="utf-8") as f:
                out[n] = int(f.read().strip())
        except FileNotFoundError:
            out[n] = None
    return out


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (killed, not yet reaped by its parent) is not running.
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def cluster(env: dict[str, str], *args: str) -> None:
    r = subprocess.run(["bash", env["CLUSTER_SCRIPT"], *args], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "MCP_CLUSTER_DIR": env["CLUSTER_DIR"]})
    sys.stderr.write(r.stderr)
    if r.returncode != 0:
        raise CheckFailed(f"cluster.sh {' '.join(args)} failed ({r.returncode})")


def psql(env: dict[str, str], sql: str) -> list[list[str]]:
    r = subprocess.run(["psql", env["DATABASE_URL"], "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                        "-c", sql], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise CheckFailed(f"psql: {r.stderr.strip()}\n  {sql}")
    return [line.split("\t") for line in r.stdout.splitlines() if line]


def metric(env: dict[str, str], n: int, series: str) -> float:
    port = env["METRICS_PORTS"].split()[n - 1]
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(series):
            total += float(line.rsplit(" ", 1)[1])
    return total


# How long after a fault's action server_error answers are still the fault's:
# the Redis client's reconnection and the pools' new connections.
FAULT_GRACE_S = 5.0


async def check_load(env: dict[str, str], seconds: float) -> None:
    before = pids(env)
    expect(all(p is not None and running(p) for p in before.values()), "every replica runs", before)
    stats = LoadStats()
    start = time.monotonic()
    stop_at = start + seconds
    victim = 2
    faults: list[str] = []
    # (start, end) of each fault's action, time.monotonic().
    windows: list[tuple[float, float]] = []
    # This run's keys (the checks may run again on one database).
    prefix = f"load-{uuid.uuid4().hex[:8]}-"

    async def faults_on_schedule() -> None:
        # The replica hangs a quarter in (SIGSTOP: the requests nginx gives it
        # meanwhile wait), dies 1.5 s later with them in flight (SIGKILL), and
        # is back at 40 %; Redis restarts at 60 %.
        for at, action in [(0.25, ("kill-replica", str(victim), "1.5")), (0.4, ("start-replica", str(victim))),
                           (0.6, ("restart-redis",))]:
            await anyio.sleep(max(0.0, start + at * seconds - time.monotonic()))
            began = time.monotonic()
            await anyio.to_thread.run_sync(cluster, env, *action)
            windows.append((began, time.monotonic()))
            faults.append(f"{' '.join(action)} at {time.monotonic() - start:.1f} s")

    workers = [("acme", "2025-11-25"), ("acme", MODERN), ("acme", MODERN),
               ("globex", "2025-11-25"), ("globex", MODERN), ("globex", MODERN)]
    async with anyio.create_task_group() as tg:
        tg.start_soon(faults_on_schedule)
        for i, (tenant, era) in enumerate(workers):
            tg.start_soon(worker, env, era, tenant, 1000 + i, stop_at, stats, prefix)
    elapsed = time.monotonic() - start
    expect(not stats.failures, "every write answered", stats.failures[:5])
    expect(len(faults) == 3, "the three faults ran", faults)
    expect(stats.connection_errors >= 1, "the kill cut requests in flight (then retried with their keys)",
           stats.connection_errors)

    # server_error only while a fault lasts, and FAULT_GRACE_S after it: Redis
    # restarting (the session and limit store unreachable answers a retryable
    # server_error by design; mcp_state_unreachable_total counts them), and the
    # replica hung, killed and starting (its cut requests reach the client as
    # 502s and connection errors, counted apart). Outside those windows the
    # database has no excuse: a write refused for contention is a defect.
    outside = [(t - start, m) for t, m in stats.server_error_log
               if not any(a <= t <= b + FAULT_GRACE_S for a, b in windows)]
    inside = len(stats.server_error_log) - len(outside)
    print(f"load: server_error answers: {len(stats.server_error_log)} in all, {inside} within {FAULT_GRACE_S:.0f} s "
          f"of a fault (allowed), {len(outside)} outside (allowed: none)")
    expect(not outside, "no server_error outside the fault windows (contention is not an error)",
           [f"{t:.1f} s: {m}" for t, m in outside[:10]])

    # Every answer to one key is the same record (retries and replays).
    acked = [w for w in stats.writes if w.answers and w.answers[0].ok is not None]
    refused = [w for w in stats.writes if w.answers and w.answers[0].error is not None]
    for w in stats.writes:
        expect(len(w.answers) >= 1, "each write has an answer", w.args)
        first = w.answers[0]
        for later in w.answers[1:]:
            equal(later.ok if later.ok is not None else later.error,
                  first.ok if first.ok is not None else first.error,
                  f"{w.tool} {w.args['idempotencyKey']}: the same answer each time")
    for w in refused:
        # A refused write of the load: only a return beyond what was ordered.
        equal([w.tool, w.answers[0].error["type"]], ["submit_return", "validation_error"],
              f"{w.args['idempotencyKey']}: the only refusal is an exhausted return")

    # The answers stay in their tenant.
    for w in acked:
        r = w.answers[0].ok
        if w.tool == "create_quote":
            equal([r["customerId"], r["total"]["currency"]], [w.args["customerId"], DATA[w.tenant]["currency"]],
                  "the quote's customer and currency")
            expect(all(line["productId"] in DATA[w.tenant]["products"] for line in r["lines"]), "the tenant's products", r)
        else:
            equal([r["orderNumber"], r["refundTotal"]["currency"]], [w.args["orderNumber"], DATA[w.tenant]["currency"]],
                  "the return's order and currency")

    # Postgres, read directly.
    quotes = psql(env, "SELECT tenant_id, idempotency_key, number, customer_id FROM quotes "
                       f"WHERE idempotency_key LIKE '{prefix}%'")
    returns = psql(env, "SELECT tenant_id, idempotency_key, rma_number, order_number FROM returns "
                        f"WHERE idempotency_key LIKE '{prefix}%'")
    rows: dict[tuple[str, str], list[list[str]]] = {}
    for row in quotes + returns:
        rows.setdefault((row[0], row[1]), []).append(row)
    dup = [k for k, v in rows.items() if len(v) != 1]
    expect(not dup, "one row per (tenant, key)", dup[:5])
    for w in acked:
        key = (w.tenant, w.args["idempotencyKey"])
        got = rows.get(key)
        expect(got is not None, f"the acknowledged {w.tool} {key} is in Postgres")
        r = w.answers[0].ok
        if w.tool == "create_quote":
            equal(got[0][2:], [r["quoteNumber"], r["customerId"]], f"{key}: the row is the acknowledged quote")
        else:
            equal(got[0][2:], [r["rmaNumber"], r["orderNumber"]], f"{key}: the row is the acknowledged return")
    acked_keys = {(w.tenant, w.args["idempotencyKey"]) for w in acked}
    extra = [k for k in rows if k not in acked_keys]
    expect(not extra, "no row without an acknowledgement (every key was answered; refusals write nothing)", extra[:5])
    cross = psql(env, "SELECT q.number FROM quotes q JOIN customers c ON c.id = q.customer_id "
                      "WHERE c.tenant_id <> q.tenant_id "
                      "UNION ALL SELECT r.rma_number FROM returns r JOIN orders o ON o.number = r.order_number "
                      "WHERE o.tenant_id <> r.tenant_id "
                      "UNION ALL SELECT q.number FROM quote_lines l JOIN quotes q ON q.id = l.quote_id "
                      "JOIN products p ON p.id = l.product_id WHERE p.tenant_id <> q.tenant_id")
    expect(not cross, "no row crosses tenants", cross[:5])
    over = psql(env, "SELECT oi.order_number, oi.product_id, oi.quantity, SUM(ri.quantity) FROM order_items oi "
                     "JOIN returns r ON r.order_number = oi.order_number "
                     "JOIN return_items ri ON ri.return_id = r.id AND ri.product_id = oi.product_id "
                     "GROUP BY oi.order_number, oi.product_id, oi.quantity HAVING SUM(ri.quantity) > oi.quantity")
    expect(not over, "no order returned beyond what was ordered", over)

    # No replica but the killed one exited; the killed one is back.
    after = pids(env)
    for n, pid in before.items():
        if n == victim:
            expect(pid is not None and not running(pid), f"replica {n} (pid {pid}) was killed")
            expect(after[n] is not None and after[n] != pid and running(after[n]), f"replica {n} restarted", after)
        else:
            expect(after[n] == pid and running(pid), f"replica {n} kept running as pid {pid}", after)
    outages = sum(metric(env, n, "mcp_state_unreachable_total") for n in before)
    print(
        f"load: {elapsed:.0f} s, {len(workers)} clients, {len(acked)} writes acknowledged "
        f"({sum(w.tool == 'create_quote' for w in acked)} quotes, {sum(w.tool == 'submit_return' for w in acked)} "
        f"returns), {len(refused)} returns refused (exhausted), {stats.replays} replays, "
        f"{stats.connection_errors} connection errors retried, {stats.rate_limited} rate_limit waits, "
        f"{stats.server_errors} server_error retries {sorted(stats.server_error_messages)}, {outages:.0f} calls under the Redis outage "
        f"(mcp_state_unreachable_total); faults: {'; '.join(faults)}; rows in Postgres match"
    )
    expect(len(acked) >= 50, "a load worth the name", len(acked))


# ------------------------------------------------------------- 3. the limit


async def check_limit(env: dict[str, str]) -> None:
    """One tenant the load never used (it has no shop: the calls let through
    answer not_found, after the limit was checked); R/min with bursts of R (GCRA), counted
    in Redis by all three replicas. Firing 1.5 R calls at once, at most
    R + refill are served, where refill = R/60 per second of the burst, plus
    one (a call admitted at the very moment a token refills). No Redis restart
    falls in this window, so the fail-open slack (calls allowed unlimited
    while Redis is unreachable) is zero here."""
    rate = int(env["RATE"].split("/")[0])
    expect(env["RATE"].endswith("/min"), "a per-minute rate", env["RATE"])
    tenant = f"limit-{uuid.uuid4().hex[:8]}"
    calls = rate + rate // 2
    served_before = [metric(env, n, 'mcp_tool_calls_total{tool="search_products",outcome="not_found"}')
                     for n in range(1, int(env["REPLICAS"]) + 1)]
    results: list[Answer] = []
    sessions = [Session(env["MCP_URL"], env["HUB_SECRET"], MODERN) for _ in range(12)]
    for s in sessions:
        await s.open()
    remaining = list(range(calls))
    start = time.monotonic()

    async def fire(s: Session) -> None:
        while remaining:
            remaining.pop()
            results.append(await s.call("search_products", tenant, {"query": "*"}))

    try:
        async with anyio.create_task_group() as tg:
            for s in sessions:
                tg.start_soon(fire, s)
    finally:
        for s in sessions:
            await s.close()
    elapsed = time.monotonic() - start
    # The tenant has no shop: a call the limit lets through answers not_found.
    served = [a for a in results if a.error is None or a.error["type"] != "rate_limit"]
    limited = [a for a in results if a.error is not None and a.error["type"] == "rate_limit"]
    for a in served:
        equal(a.error, {"type": "not_found", "message": f"tenant `{tenant}` has no shop"}, "a call let through")
    equal(len(results), calls, "every call answered")
    slack = math.ceil(elapsed * rate / 60) + 1
    expect(rate <= len(served) <= rate + slack,
           f"{rate}/min across the replicas: between {rate} and {rate} + {slack} served in {elapsed:.1f} s",
           len(served))
    per_call = math.ceil(60_000 / rate)
    for a in limited:
        ms = a.error.get("retryAfterMs")
        expect(isinstance(ms, int) and 1 <= ms <= per_call, f"retryAfterMs within one call's worth ({per_call} ms)", a.error)
        equal(a.error["message"], f"too many calls for this tenant; retry in {ms} ms", "the message")
    served_after = [metric(env, n, 'mcp_tool_calls_total{tool="search_products",outcome="not_found"}')
                    for n in range(1, int(env["REPLICAS"]) + 1)]
    by_replica = [a - b for a, b in zip(served_after, served_before)]
    expect(all(x > 0 for x in by_replica), "every replica served part of the burst", by_replica)
    print(f"limit: {calls} calls in {elapsed:.1f} s for one tenant at {env['RATE']}: {len(served)} served "
          f"(bound {rate}..{rate + slack}; by replica {[int(x) for x in by_replica]}), "
          f"{len(limited)} rate_limit with retryAfterMs")


# ------------------------------------------------------------- main


async def main_async(ns: argparse.Namespace, env: dict[str, str]) -> None:
    if ns.only in (None, "eras"):
        for era in ("2025-11-25", MODERN):
            await check_era(env, era)
            print(f"eras: {era}: tools/list, the nine tools with exact values, retries, isolation: ok")
    if ns.only in (None, "load"):
        await check_load(env, ns.load_seconds)
    if ns.only in (None, "limit"):
        await check_limit(env)


def first_check_failed(e: BaseException) -> CheckFailed | None:
    if isinstance(e, CheckFailed):
        return e
    if isinstance(e, BaseExceptionGroup):
        for inner in e.exceptions:
            if (found := first_check_failed(inner)) is not None:
                return found
    return None


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--env", required=True, help="cluster.env written by scripts/cluster.sh up")
    p.add_argument("--load-seconds", type=float, default=60.0)
    p.add_argument("--only", choices=["eras", "load", "limit"])
    ns = p.parse_args()
    env = read_env(ns.env)
    try:
        anyio.run(main_async, ns, env)
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: BLE001 - a check inside a task group fails in an ExceptionGroup
        failed = first_check_failed(e)
        print(f"FAILED: {failed if failed is not None else describe(e)}", file=sys.stderr)
        return 1
    print("cluster checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
