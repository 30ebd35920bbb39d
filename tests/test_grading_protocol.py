"""The grader's channel as a trust boundary (issue 21, items 1 and 2): the wire format of
plain data (:mod:`course_utils.grading.sandbox.plaindata`), the checks on every message
(:mod:`course_utils.grading.sandbox.protocol`), deadlines on every read, and the status each kind of
learner failure earns.

Every refused input here is a few bytes a learner's process can write on its own channel;
each is refused before anything it promises is allocated.
"""

from __future__ import annotations

import pickle
import re
import socket
import struct
import threading
import time
import tracemalloc

import numpy as np
import pytest

from course_utils.grading import errors
from course_utils.grading.config import Status
from course_utils.grading.sandbox.plaindata import MAX_DEPTH, WireError, dumps, loads
from course_utils.grading.sandbox.protocol import (MAX_MESSAGE_BYTES, Channel, Stalled, TooLarge, Violation, cell_event, hello,
                                           reply)
from course_utils.grading.safetext import MESSAGE_CHARS

# ------------------------------------------------------------------ plain data on the wire


@pytest.mark.parametrize("value", [
    None, True, False, 0, -2**63, 2**63, -(10**300), 1.5, float("inf"), 2 - 3j, "", "é\ud800", b"\x00\xff",
    [], (), {}, [1, [2, (3, {"k": None})]], {(1, "a"): 2.0, None: b""},
], ids=repr)
def test_plain_values_come_back_as_they_were_sent(value):
    back = loads(dumps(value))
    assert back == value and type(back) is type(value)


@pytest.mark.parametrize("array", [
    np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(2, 3).T, np.array(5), np.zeros((0, 3)),
    np.array([True, False]), np.array(["ab", "c"]), np.array([b"x", b"yz"]), np.array([1 + 2j]),
    np.array([1, 2], dtype=">i4"), np.arange(10, dtype=np.uint8)[::3],
], ids=lambda a: f"{a.dtype.str}{a.shape}")
def test_arrays_come_back_with_their_dtype_shape_and_values_and_are_writable(array):
    back = loads(dumps(array))
    assert back.dtype == array.dtype and back.shape == array.shape and np.array_equal(back, array)
    assert back.flags.writeable and back.flags.owndata or back.base is not None


def _message(*parts: bytes) -> bytes:
    return bytes([1]) + b"".join(parts)


def _u32(n: int) -> bytes:
    return struct.pack("!I", n)


HOSTILE = {
    "a pickle": (pickle.dumps(("ok", 1)), "not a message of this grader"),
    "an array header promising 3 GiB": (_message(b"a", bytes([3]), b"<f8", bytes([1]), struct.pack("!Q", 402_653_184)),
                                        "(3,221,225,472 bytes) was promised, 0 bytes were sent"),
    "a list of 2**31 items in 10 bytes": (_message(b"l", _u32(2**31), b"N" * 10), "2,147,483,648 values was promised"),
    "a str of 4 GiB in 2 bytes": (_message(b"s", _u32(2**32 - 1), b"ab"), "4,294,967,295 bytes was promised"),
    "an object array": (_message(b"a", bytes([3]), b"|O8", bytes([1]), struct.pack("!Q", 1), b"x" * 8), "dtype '|O8'"),
    "a structured dtype": (_message(b"a", bytes([6]), b"[('a',", bytes([0])), "only numbers, booleans and strings"),
    "nesting past the limit": (_message((b"l" + _u32(1)) * (MAX_DEPTH + 3), b"N"), "nested more than"),
    "a list as a dict key": (_message(b"d", _u32(1), b"l", _u32(0), b"N"), "a dict key that is a list"),
    "bytes after the value": (_message(b"N", b"N"), "1 bytes follow the message"),
    "an unknown tag": (_message(b"X"), "an unknown value tag"),
    "text that is not UTF-8": (_message(b"s", _u32(2), b"\xff\xfe"), "malformed message"),
    "an int of 1 MiB": (_message(b"I", _u32(2**20), b"\x01" * 2**20), "an int of 1,048,576 bytes"),
    "a code point past U+10FFFF": (_message(b"a", bytes([3]), b"<U1", bytes([1]), struct.pack("!Q", 1),
                                            b"\xff\xff\xff\xff"), "past U+10FFFF"),
    "an empty message": (b"", "no version 1 header"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_what_is_not_plain_data_is_refused_without_allocating_what_it_promises(name):
    data, reason = HOSTILE[name]
    tracemalloc.start()
    try:
        with pytest.raises(WireError, match=re.escape(reason)):
            loads(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * len(data) + 2**20


def test_more_items_than_a_message_may_hold_are_refused():
    with pytest.raises(WireError, match="more than"):
        loads(dumps([0] * 100), max_items=50)


def test_a_boolean_array_holds_only_true_and_false_whatever_its_bytes():
    data = _message(b"a", bytes([3]), b"|b1", bytes([1]), struct.pack("!Q", 3), b"\x00\x02\xff")
    assert loads(data).tolist() == [False, True, True] and (loads(data) == np.array([False, True, True])).all()


# ------------------------------------------------------------------ messages


def test_the_isolation_record_is_no_message_of_the_learner_s_channel():
    with pytest.raises(Violation, match="kind 'sandbox'"):
        cell_event(("sandbox", ["own uid"]), cells=3, skip=set(), current=0, last=0)


@pytest.mark.parametrize("message, reason", [
    (("start", 1), "out of turn"),  # cell 0 still running
    (("done", 2, None), "cell 2 ended, but cell 0 was running"),
    (("ready", ["add"]), "while cell 0 was running"),
    (("done", 0, 5), "that is an int, not text"),
    (("start",), "of 1 fields"),
    (["start", 0], "a list instead of a message"),
])
def test_a_message_out_of_turn_or_of_the_wrong_shape_is_a_violation(message, reason):
    with pytest.raises(Violation, match=reason):
        cell_event(message, cells=3, skip=set(), current=0, last=0)


def test_a_skipped_cell_cannot_start_and_names_must_be_python_names():
    with pytest.raises(Violation, match="out of turn"):
        cell_event(("start", 1), cells=3, skip={1}, current=None, last=0)
    with pytest.raises(Violation, match="not a Python name"):
        cell_event(("ready", ["add", "x; import os"]), cells=3, skip=set(), current=None, last=2)
    assert cell_event(("ready", ["add"]), 3, set(), None, 2).functions == ("add",)


def test_hello_carries_this_protocol_s_version():
    hello(("hello", 1))
    with pytest.raises(Violation, match="protocol version"):
        hello(("hello", True))


@pytest.mark.parametrize("message, reason", [
    (("ok", 6, 1.0), "a reply to call 6 while call 7 was waiting"),
    (("error", 7, "NameError", 5, ""), "an exception's message that is an int"),
    (("error", 7, ["x"], "m", ""), "an exception's name that is a list"),
    (("notimplemented", 7, "m", "<lambda>"), "not a Python name"),
    (("missing", 7, 3), "that is not a Python name"),
    (("ok", 7), "of 2 fields"),
])
def test_a_reply_for_another_call_or_with_fields_of_the_wrong_type_is_a_violation(message, reason):
    with pytest.raises(Violation, match=reason):
        reply(message, 7)


def test_a_reply_s_text_is_cleaned_and_capped_in_the_grader():
    answer = reply(("error", 7, "Value\x1b[31mError", "\x1b[2J" + "x" * 10_000_000 + "\n# heading", "line\n2"), 7)
    assert answer.type_name == "ValueError" and answer.where == "line 2"
    assert len(answer.message) < MESSAGE_CHARS + 40 and "\x1b" not in answer.message
    assert answer.message.endswith("characters in all)")


# ------------------------------------------------------------------ deadlines


@pytest.fixture
def pair():
    ours, theirs = socket.socketpair()
    yield Channel(ours), theirs
    ours.close()
    theirs.close()


def test_a_frame_that_stops_half_way_is_stalled_at_the_deadline(pair):
    channel, theirs = pair
    theirs.sendall(struct.pack("!Q", 1000) + b"x")
    begun = time.monotonic()
    with pytest.raises(Stalled):
        channel.recv_bytes(MAX_MESSAGE_BYTES, timeout=0.3)
    assert time.monotonic() - begun < 30  # it returned: the wait is bounded (no timing claim)


def test_a_frame_longer_than_allowed_is_refused_before_it_is_read(pair):
    channel, theirs = pair
    theirs.sendall(struct.pack("!Q", 2**62))
    with pytest.raises(TooLarge, match="at most"):
        channel.recv_bytes(MAX_MESSAGE_BYTES, timeout=5)


def test_a_send_the_other_side_never_reads_is_stalled_at_the_deadline(pair):
    channel, _theirs = pair
    with pytest.raises(Stalled):
        channel.send_bytes(b"x" * (64 * 2**20), timeout=0.3)


def test_a_whole_message_arrives_in_pieces(pair):
    channel, theirs = pair
    data = dumps(("ok", 1, np.arange(100_000.0)))
    frame = struct.pack("!Q", len(data)) + data

    def dribble():
        for start in range(0, len(frame), 65_536):
            theirs.sendall(frame[start:start + 65_536])
            time.sleep(0.001)

    writer = threading.Thread(target=dribble)
    writer.start()
    got = channel.recv_bytes(MAX_MESSAGE_BYTES, timeout=60)
    writer.join()
    assert loads(got)[2].sum() == np.arange(100_000.0).sum()


# ------------------------------------------------------------------ whose fault


LEARNER_CAUSED = [cls for cls in vars(errors).values()
                  if isinstance(cls, type) and issubclass(cls, errors.StudentProblem)]


@pytest.mark.parametrize("problem", LEARNER_CAUSED, ids=lambda cls: cls.__name__)
def test_every_learner_caused_failure_has_a_learner_facing_status(problem):
    assert Status(problem.status).learner_facing and problem.status is not Status.GRADER_ERROR


def test_only_the_grader_s_own_failure_is_a_grader_error():
    assert errors.GraderProblem.status is Status.GRADER_ERROR and not Status.GRADER_ERROR.learner_facing
    assert errors.StudentTooSlow.status is Status.TOO_SLOW and str(Status.TOO_SLOW) == "too slow"


def test_a_learner_exception_with_a_message_of_any_type_is_still_text():
    error = errors.student_error("NameError", 5, None)
    assert error.learner_message == "5" and "NameError: 5" in str(error)
