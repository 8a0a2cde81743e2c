"""The embedded broker hands consumers only complete messages."""

from __future__ import annotations

from pathlib import Path

from kombu import Connection
from kombu.transport import filesystem

from pushadmin.delivery import filesystem_broker


def test_messages_appear_in_the_queue_folder_only_once_fully_written(tmp_path: Path) -> None:
    assert filesystem.Channel._put is filesystem_broker._put_atomically
    data = tmp_path / "data"
    data.mkdir()
    options = {"data_folder_in": str(data), "data_folder_out": str(data), "control_folder": str(tmp_path / "control")}
    with Connection("filesystem://", transport_options=options) as connection:
        queue = connection.SimpleQueue("atomic-test")
        queue.put({"batch_id": 42})
        assert [p.name.endswith(".atomic-test.msg") for p in data.iterdir()] == [True]
        assert queue.get(timeout=1).payload == {"batch_id": 42}
        queue.close()
