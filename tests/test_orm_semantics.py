"""The facts the ORM loading rules stand on: relationships and how they load, and whether the
factory behind a session expires instances on commit."""

from __future__ import annotations

import ast
import textwrap

from fastapi_lint.semantic.expiry import expires_on_commit
from fastapi_lint.semantic.facts import ModuleFacts
from test_semantic import project


def test_relationships_record_their_loader_strategy():
    index = project(
        app__models="""
        from typing import Optional
        from sqlalchemy.orm import DeclarativeBase, Mapped, WriteOnlyMapped, relationship
        from sqlmodel import Relationship, SQLModel

        class Base(DeclarativeBase):
            pass

        class User(Base):
            posts: Mapped[list["Post"]] = relationship(back_populates="author")
            org = relationship("Org", lazy="joined")
            badges: Mapped[list["Badge"]] = relationship(lazy="raise")
            old = relationship("Old", lazy=True)
            never = relationship("Never", lazy=None)
            computed = relationship("X", lazy=STRATEGY)
            spread = relationship("Y", **options)
            log: WriteOnlyMapped["Entry"] = relationship()
            name: Mapped[str]

        class Team(SQLModel, table=True):
            heroes: list["Hero"] = Relationship(back_populates="team")
            sponsors: list["Sponsor"] = Relationship(sa_relationship_kwargs={"lazy": "selectin"})
            fans: list["Fan"] = Relationship(sa_relationship_kwargs=FAN_OPTIONS)
            boss: Optional["Boss"] = Relationship(sa_relationship=relationship(lazy="joined"))
        """
    )
    classes = {fact.name: fact for fact in index.modules["app.models"].classes}
    assert classes["User"].relationships == {
        "posts": "select",
        "org": "joined",
        "badges": "raise",
        "old": "select",
        "never": "noload",
        "computed": "?",
        "spread": "?",
        "log": "write_only",
    }
    assert classes["Team"].relationships == {
        "heroes": "select",
        "sponsors": "selectin",
        "fans": "?",
        "boss": "joined",
    }


SESSION_MODULE = """
from typing import Annotated
from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import sessionmaker

Expiring = async_sessionmaker(engine)
Kept = async_sessionmaker(engine, expire_on_commit=False)
Configured = async_sessionmaker(engine)
Configured.configure(expire_on_commit=False)
Legacy = sessionmaker(engine, class_=AsyncSession)
Computed = async_sessionmaker(engine, expire_on_commit=settings.expire)
Spread = async_sessionmaker(engine, **options)

def make_factory(engine):
    return async_sessionmaker(engine, expire_on_commit=False)

Made = make_factory(engine)

async def get_expiring():
    async with Expiring() as session:
        yield session

async def get_kept():
    async with Kept() as session:
        yield session

async def get_configured():
    async with Configured() as session:
        yield session

async def get_legacy():
    async with Legacy() as session:
        yield session

async def get_computed():
    async with Computed() as session:
        yield session

async def get_spread():
    async with Spread() as session:
        yield session

async def get_made():
    async with Made() as session:
        yield session

async def get_direct():
    async with AsyncSession(engine) as session:
        yield session

async def get_direct_kept():
    async with AsyncSession(engine, expire_on_commit=False) as session:
        yield session

ExpiringDep = Annotated[AsyncSession, Depends(get_expiring)]
KeptDep = Annotated[AsyncSession, Depends(get_kept)]
"""


def _expiry(index, source: str) -> bool | None:
    module = ast.parse(textwrap.dedent(source))
    owner = next((node for node in module.body if isinstance(node, ast.ClassDef)), None)
    body = owner.body if owner is not None else module.body
    func = next(node for node in body if isinstance(node, ast.AsyncFunctionDef))
    facts = ModuleFacts("app.routes", "app")
    table = facts.imports()
    for stmt in module.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            table.add_import(stmt)
    receiver = ast.parse("self.db" if owner is not None else "db", mode="eval").body
    return expires_on_commit(index, table, func, owner, receiver)


def test_session_expiry_follows_dependencies_aliases_and_factories():
    index = project(app__db=SESSION_MODULE)
    cases = {
        "get_expiring": True,
        "get_kept": False,
        "get_configured": False,
        "get_legacy": True,
        "get_computed": None,
        "get_spread": None,
        "get_made": False,
        "get_direct": True,
        "get_direct_kept": False,
    }
    for provider, expected in cases.items():
        source = (
            f"from fastapi import Depends\nfrom app.db import {provider}\n"
            f"async def route(db = Depends({provider})): ...\n"
        )
        assert _expiry(index, source) is expected, provider
    for alias, expected in (("ExpiringDep", True), ("KeptDep", False)):
        source = f"from app.db import {alias}\nasync def route(db: {alias}): ...\n"
        assert _expiry(index, source) is expected, alias
    unknown = (
        "from sqlalchemy.ext.asyncio import AsyncSession\nasync def f(db: AsyncSession): ...\n"
    )
    assert _expiry(index, unknown) is None
    local = "from app.db import Expiring\nasync def f():\n    async with Expiring() as db: ...\n"
    assert _expiry(index, local) is True
    call_site = (
        "from app.db import Expiring\nasync def f():\n"
        "    async with Expiring(expire_on_commit=False) as db: ...\n"
    )
    assert _expiry(index, call_site) is False
    service = (
        "from app.db import ExpiringDep\nclass Service:\n"
        "    def __init__(self, db: ExpiringDep):\n        self.db = db\n"
        "    async def work(self): ...\n"
    )
    assert _expiry(index, service) is True


ODD_SHAPES = """
from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, relationship, selectinload

router = APIRouter()
Maker = async_sessionmaker(**options)


class Base(DeclarativeBase):
    pass


class M(Base):
    children: Mapped[list["M"]] = relationship()


@router.get("/odd", response_model=list)
async def odd(db: AsyncSession, *rest, **more):
    a = await db.get()
    b = (await db.execute()).scalars().first()
    c = (await db.execute(select())).scalars().first()
    d = (await db.scalars(select(M).options())).first()
    e = (await db.scalars(select(M).options(selectinload(), *make(), **kw))).first()
    (f, g) = await db.get(M, 1), await db.get(M, 2)
    for (h, i) in await db.execute(select(M)):
        await db.get(M, h.id, i)
    await db.refresh(*rest)
    await db.refresh(a, names)
    await db.commit
    await db.commit()
    await (lambda: db.commit())()
    db.add()
    db.add_all()
    await db.merge()
    k = [x.children for x in (await db.scalars(select(M))).all() for x in x.children]
    return a.children, b.children, c.children, d.children, e.children, f, g, k, [*a.children]


async def nested(db: AsyncSession):
    async with Maker() as db:
        m = await db.get(M, 1)
        await db.commit()
        return m.children
"""


def test_odd_shapes_never_crash_the_orm_rules():
    from fastapi_lint.config import Settings
    from fastapi_lint.engine import Linter

    index = project(odd=ODD_SHAPES)
    settings = Settings(select=("FAL205", "FAL206", "FAL306"))
    result = Linter(settings, index).lint("odd.py", textwrap.dedent(ODD_SHAPES), "odd", "")
    assert not result.internal_error, [d.message for d in result.diagnostics]
