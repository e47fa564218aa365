"""Shared fixtures: a fresh ucmock per test (fresh data dir, free port)."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server  # noqa: E402
import contract  # noqa: E402,F401  (registers the OpenAPI check on every response)


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture
def make_server():
    made = []

    def make(*args, **kw):
        s = Server(*args, **kw)
        made.append(s)
        return s
    yield make
    for s in made:
        s.close()
