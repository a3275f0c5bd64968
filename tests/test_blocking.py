"""The blocking-call catalog and the "performs blocking I/O" fact of project functions."""

from __future__ import annotations

import ast

from fastapi_lint.semantic.blocking import Blocker, BlockingCatalog
from fastapi_lint.semantic.facts import ModuleFacts, extract


def test_patterns_stand_for_one_dotted_part():
    catalog = BlockingCatalog(["legacy_sdk.*.fetch"])
    assert catalog.lookup("stripe.Customer.create") is Blocker.CALL
    assert catalog.lookup("stripe.checkout.Session.create") is Blocker.CALL
    assert catalog.lookup("stripe.Webhook.construct_event") is None
    assert catalog.lookup("legacy_sdk.Reports.fetch") is Blocker.CALL
    assert catalog.lookup("legacy_sdk.fetch") is None
    assert catalog.lookup("redis.Redis") is Blocker.LAZY_CLIENT
    assert not Blocker.LAZY_CLIENT.reported_at_call


def _facts(source: str) -> ModuleFacts:
    return extract(ast.parse(source), "app.services", "app")


def test_sync_functions_record_their_blocking_calls_and_project_callees():
    facts = _facts(
        "import json, redis, requests\n"
        "from app.other import helper\n"
        "cache = redis.Redis()\n"
        "def notify(url):\n"
        "    requests.post(url)\n"
        "def cached():\n"
        "    return cache.get('k'), cache.pipeline()\n"
        "def calls_helper():\n"
        "    helper(json.dumps({}))\n"
        "async def notify_async(url):\n"
        "    requests.post(url)\n"
    )
    assert facts.functions["notify"].blocking == ["requests.post"]
    assert facts.functions["cached"].blocking == ["cache.get"]
    assert facts.functions["calls_helper"].blocking == []
    assert facts.functions["calls_helper"].calls == ["app.other.helper"]
    assert facts.functions["notify_async"].blocking == []  # reported where it is


def test_function_facts_survive_the_cache():
    facts = _facts("import requests\ndef notify(url):\n    requests.post(url)\n")
    again = ModuleFacts.from_json(facts.to_json())
    assert again.functions["notify"].blocking == ["requests.post"]


def test_sync_methods_record_their_blocking_calls_and_survive_the_cache():
    facts = _facts(
        "import functools, json, redis, requests\n"
        "cache = redis.Redis()\n"
        "class Client:\n"
        "    def fetch(self, url):\n"
        "        return requests.get(url)\n"
        "    @staticmethod\n"
        "    def cached():\n"
        "        return cache.get('k')\n"
        "    def render(self):\n"
        "        return json.dumps({})\n"
        "    async def fetch_async(self, url):\n"
        "        requests.get(url)\n"
        "    @property\n"
        "    def status(self):\n"
        "        return requests.get('u')\n"
        "    @functools.cached_property\n"
        "    def config(self):\n"
        "        return requests.get('u')\n"
        "    class Inner:\n"
        "        def ping(self):\n"
        "            requests.head('u')\n"
    )
    methods = facts.method_facts
    assert methods["Client.fetch"].blocking == ["requests.get"]
    assert methods["Client.cached"].blocking == ["cache.get"]
    assert methods["Client.Inner.ping"].blocking == ["requests.head"]
    # no blocking call nor project callee; async; reached as an attribute: nothing kept
    assert set(methods) == {"Client.fetch", "Client.cached", "Client.Inner.ping"}
    again = ModuleFacts.from_json(facts.to_json())
    assert again.method_facts == methods


def test_a_method_is_found_in_the_mro_without_walking_each_path_of_a_diamond(monkeypatch):
    """16 stacked diamonds: C3 over them took 2**16 lookups (11 s) before each class was
    linearised once."""
    from fastapi_lint.semantic.index import ProjectIndex

    lines = ["import requests\n", "class A0:\n    def x(self):\n        requests.get('u')\n"]
    for n in range(1, 17):
        lines.append(f"class B{n}(A{n - 1}): pass\nclass C{n}(A{n - 1}): pass\n")
        lines.append(f"class A{n}(B{n}, C{n}): pass\n")
    index = ProjectIndex()
    index.add(extract(ast.parse("".join(lines)), "app.tower", "app"), ["app.tower"])
    asked = []
    real = ProjectIndex.lookup
    monkeypatch.setattr(
        ProjectIndex, "lookup", lambda self, name: asked.append(name) or real(self, name)
    )
    found = index.method("app.tower.A16.x")
    assert found is not None and found[1].blocking == ["requests.get"]
    assert index.method("app.tower.A16.missing") is None
    assert len(asked) < 400, len(asked)  # about 3 per class per question


def test_statements_inside_match_cases_are_read():
    facts = extract(
        ast.parse(
            "def handler(): ...\n"
            "match MODE:\n"
            "    case 'full':\n"
            "        router.add_api_route('/p', handler)\n"
        ),
        "app.m",
        "app",
    )
    assert facts.endpoints == ["handler"]
