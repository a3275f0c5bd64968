from __future__ import annotations


def pytest_addoption(parser):
    parser.addoption(
        "--update-fixtures",
        action="store_true",
        default=False,
        help="Rewrite the fixtures' .fixed.py files from what --fix --unsafe-fixes produces.",
    )
