"""No rule re-walks a function body for each finding: the walks a lint makes grow with the file,
not with the square of the findings in one function.

One function per rule holds N findings (FAL303 on N objects, FAL403 on N query variables, FAL502
on N locals, FAL206 on N instances read after one commit, FAL205 on N queries whose options come
from a helper of N statements). Every walk of a body goes through
`ast.iter_child_nodes` (`ast.walk`, `own_nodes`, the file model), so counting its calls counts
the nodes walked. Linear code walks twice as much for twice the findings; a walk per finding
makes it four times as much.
"""

from __future__ import annotations

import ast
from dataclasses import replace

import pytest

from fastapi_lint import config
from fastapi_lint.runner import Options, run

CODES = ("FAL205", "FAL206", "FAL303", "FAL403", "FAL502")

HEADER = """\
from pydantic import BaseModel, ConfigDict
from sqlalchemy import JSON, ForeignKey, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sqlalchemy.orm import selectinload

engine = create_async_engine("sqlite+aiosqlite://")
SessionLocal = async_sessionmaker(engine)


class Base(DeclarativeBase):
    pass


class Profile(Base):
    __tablename__ = "profiles"
    id: Mapped[int] = mapped_column(primary_key=True)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    posts: Mapped[list["Post"]] = relationship(back_populates="author")
    tags: Mapped[list["Post"]] = relationship()


class Post(Base):
    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
    author: Mapped[Author] = relationship(back_populates="posts")


class User(BaseModel):
    model_config = ConfigDict()
    name: str
"""


def source(n: int) -> str:
    lines = [HEADER, "def json_changes(db: Session) -> None:"]
    lines += [f"    p{i} = Profile()\n    p{i}.settings['k'] = {i}" for i in range(n)]
    lines += ["    db.commit()", "", "def sql(cursor, name: str) -> None:"]
    lines += [
        f"    q{i} = f\"SELECT * FROM t WHERE a = '{{name}}'\"\n    cursor.execute(q{i})"
        for i in range(n)
    ]
    lines += ["", "def dumps() -> None:"]
    lines += [f"    u{i} = User(name='x')\n    u{i}.dict()" for i in range(n)]
    lines += ["", "async def expired() -> None:", "    async with SessionLocal() as db:"]
    lines += [f"        a{i} = Profile()\n        db.add(a{i})" for i in range(n)]
    lines += ["        await db.commit()"]
    lines += [f"        print(a{i}.id)" for i in range(n)]
    lines += ["", "def author_options():"]
    lines += [f"    o{i} = {i}" for i in range(n)]
    lines += ["    return [selectinload(Author.tags)]", "", "async def lazy(db: AsyncSession):"]
    lines += [
        f"    r{i} = (await db.execute(select(Author).options(*author_options()))).scalar_one()\n"
        f"    print(r{i}.posts)"
        for i in range(n)
    ]
    return "\n".join(lines) + "\n"


def walked(tmp_path, monkeypatch, code: str, n: int) -> tuple[int, dict[str, int]]:
    folder = tmp_path / f"{code}_{n}"
    folder.mkdir()
    (folder / "pyproject.toml").write_text('[project]\nname = "app"\n', encoding="utf-8")
    path = folder / "app.py"
    path.write_text(source(n), encoding="utf-8")
    settings = replace(config.load(config.find_config(folder)), select=(code,))
    calls = 0
    original = ast.iter_child_nodes

    def counting(node):
        nonlocal calls
        calls += 1
        return original(node)

    monkeypatch.setattr(ast, "iter_child_nodes", counting)
    result = run([path], settings, Options(use_cache=False), base=folder)
    monkeypatch.setattr(ast, "iter_child_nodes", original)
    found: dict[str, int] = {}
    for diagnostic in result.diagnostics:
        found[diagnostic.code] = found.get(diagnostic.code, 0) + 1
    return calls, found


@pytest.mark.parametrize("code", CODES)
def test_walks_grow_linearly_with_the_findings_of_one_function(tmp_path, monkeypatch, code):
    counts = {}
    for n in (20, 40, 80):
        counts[n], found = walked(tmp_path, monkeypatch, code, n)
        assert found == {code: n}  # every finding is there
    first, second = counts[40] - counts[20], counts[80] - counts[40]
    assert second <= 2.5 * first, counts
