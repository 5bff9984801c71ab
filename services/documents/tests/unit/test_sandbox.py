"""The sandbox: files are judged in worker processes with a memory limit, so a bomb fails its own upload
and the worker is replaced, while the next file goes through."""

import os

import pytest

from documents import files, samples
from documents.exceptions import DocumentTooComplex, ImageTooLarge, UnsupportedFileType
from documents.sandbox import Sandbox

pytestmark = pytest.mark.unit
MB = 1024 * 1024


def run(sandbox, content):
    out = []
    content_type = sandbox.sanitise([content[i : i + 5000] for i in range(0, len(content), 5000)], len(content),
                                    out.append)  # fmt: skip
    return content_type, b"".join(out)


@pytest.fixture
def sandbox():
    pool = Sandbox(1, 512 * MB, 20, 80 * MB)
    yield pool
    pool.stop()


def test_a_file_comes_back_sanitised_and_the_worker_is_kept(sandbox):
    attack = samples.png_with_zip()
    assert run(sandbox, attack) == ("image/png", files.sanitise(attack, files.Limits(80 * MB)).content)
    content = samples.pdf(300_000)
    content_type, clean = run(sandbox, content)
    assert content_type == "application/pdf" and len(clean) >= 300_000
    assert sandbox.started == 1


def test_a_refusal_is_the_files_own_error_and_the_worker_carries_on(sandbox):
    with pytest.raises(UnsupportedFileType):
        run(sandbox, samples.windows_executable())
    with pytest.raises(ImageTooLarge):
        run(sandbox, samples.pixel_bomb())
    assert run(sandbox, samples.jpeg())[0] == "image/jpeg"
    assert sandbox.started == 1


def test_a_bomb_past_the_pixel_bound_fails_on_the_memory_limit_alone():
    # The pixel bound set far too high: only the worker's address-space limit stands between the 196 MB
    # decode and the process. That upload fails; the worker is replaced and the next file goes through.
    pool = Sandbox(1, 160 * MB, 20, 4096 * MB)
    try:
        pool.warm()
        [first] = pool._idle
        with pytest.raises(DocumentTooComplex) as exc:
            run(pool, samples.pixel_bomb())
        assert exc.value.params == {"reason": "memory"}
        assert first.process.poll() is not None  # that worker is gone …
        assert run(pool, samples.png())[0] == "image/png"  # … and another does the next file
        assert pool.started == 2
    finally:
        pool.stop()


def test_a_file_that_takes_too_long_is_cut_off():
    pool = Sandbox(1, 512 * MB, 0.0001, 80 * MB)
    try:
        with pytest.raises(DocumentTooComplex) as exc:
            run(pool, samples.png(1500, 1500))
        assert exc.value.params == {"reason": "time"}
        pool.seconds = 20
        assert run(pool, samples.png())[0] == "image/png"
        assert pool.started == 2
    finally:
        pool.stop()


def test_stopping_ends_every_worker():
    pool = Sandbox(2, 512 * MB, 20, 80 * MB)
    pool.warm()
    pids = [w.pid for w in pool._idle]
    assert len(pids) == 2
    pool.stop()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
