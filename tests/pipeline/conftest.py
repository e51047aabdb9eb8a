"""Fixtures for the ingestion tests: small seeded worlds, the simulators and an embedded S3 server.

Everything goes over the real protocols (HTTP to the simulators, SQL to the BKD SQLite files, S3
to moto's server in a child process); each test gets its own bucket.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pantau.simulate.generate import GenerateOptions, generate_world
from pantau.simulate.servers import EmbeddedObjectStore
from pantau.storage import ObjectStore

SMALL = {"seed": 7, "registry_size": 3000, "cases": 200}
TOKEN = "test-token"


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small world with the simulator's default (realistic) noise."""
    path = tmp_path_factory.mktemp("world")
    generate_world(path, GenerateOptions(**SMALL), False)
    return path


@pytest.fixture(scope="session")
def s3() -> Iterator[EmbeddedObjectStore]:
    with EmbeddedObjectStore() as server:
        yield server


def new_store(s3: EmbeddedObjectStore) -> ObjectStore:
    return ObjectStore.connect(s3.endpoint, s3.access_key, s3.secret_key, f"t-{uuid.uuid4().hex[:16]}")


@pytest.fixture
def store(s3: EmbeddedObjectStore) -> ObjectStore:
    return new_store(s3)
