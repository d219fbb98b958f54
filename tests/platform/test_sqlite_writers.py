"""SQLite writers of one process queue in arrival order (no busy-handler naps), and never forever."""

import threading
import time

from sprawa.db import _WriterQueue, make_engine


def test_writers_get_their_turn_in_arrival_order():
    queue = _WriterQueue()
    assert queue.enter()
    order: list[int] = []

    def writer(n: int) -> None:
        assert queue.enter()
        order.append(n)
        queue.leave()

    threads = []
    for n in range(5):
        thread = threading.Thread(target=writer, args=(n,))
        thread.start()
        threads.append(thread)
        while len(queue._waiting) < n + 1:  # in line before the next one arrives
            time.sleep(0.001)
    queue.leave()
    for thread in threads:
        thread.join(5)
    assert order == [0, 1, 2, 3, 4]
    assert queue.enter()  # free again once everyone is done


def test_a_writer_whose_turn_does_not_come_goes_on_to_sqlite():
    queue = _WriterQueue()
    queue.WAIT_SECONDS = 0.05
    assert queue.enter()
    assert queue.enter() is False  # gave up its place: SQLite's own lock decides now
    assert not queue._waiting
    queue.leave()
    assert queue.enter()


def test_a_transaction_leaves_the_queue_however_it_ends(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    done = threading.Event()

    def other_thread() -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (2)")
        done.set()

    threading.Thread(target=other_thread).start()
    assert done.wait(5)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT x FROM t").scalars().all() == [2]
    engine.dispose()
