"""Reading a recorded request back: finding its content file, and the prompt and answer in it."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from desktop_app.core.errors import AppError
from desktop_app.core.models import ContentRecord
from desktop_app.core.store.content_log import ContentLog
from desktop_app.core.store.content_view import (
    MAX_TEXT_CHARS,
    Conversation,
    find_content,
    prompt_text,
    read_conversation,
    response_text,
)

T0 = datetime(2026, 3, 10, 9, 5, 7, 123456, tzinfo=UTC)


def document(request_content=None, response_content=None):
    """A document as `analysis.content_record` builds it."""
    return {
        "proxy-authorization": "alice", "timestamp": T0.isoformat(), "proxy-time-consumed": "812.00ms",
        "request": {"url": "https://api.githubcopilot.com/chat/completions", "method": "POST",
                    "headers": {"authorization": "<redacted>"}, "content": request_content},
        "response": {"status_code": 200, "headers": {"content-type": "text/event-stream"},
                     "content": response_content},
    }


def write(root, developer="alice", at=T0, kind_folder="chat", doc=None):
    return ContentLog(root).write(ContentRecord(developer, at, kind_folder, doc or document()))


# --- find_content ----------------------------------------------------------------------------------------


def test_finds_the_file_of_the_same_moment(tmp_path):
    root = tmp_path / "usage"
    path = write(root)
    assert find_content(root, "alice", T0) == path


def test_finds_it_after_a_float_epoch_round_trip(tmp_path):
    root = tmp_path / "usage"
    path = write(root)
    assert find_content(root, "alice", datetime.fromtimestamp(T0.timestamp(), UTC)) == path
    for micro in (0, 1, 999_999, 500_000):  # whole seconds and the edges of a second too
        at = T0.replace(microsecond=micro)
        written = write(root, at=at)
        assert find_content(root, "alice", datetime.fromtimestamp(at.timestamp(), UTC)) == written


def test_finds_it_from_another_time_zone(tmp_path):
    root = tmp_path / "usage"
    path = write(root)
    assert find_content(root, "alice", T0.astimezone(timezone(timedelta(hours=2)))) == path
    assert find_content(root, "alice", T0.astimezone(timezone(timedelta(hours=-7)))) == path


def test_finds_it_in_any_kind_folder(tmp_path):
    root = tmp_path / "usage"
    path = write(root, kind_folder="completions")
    assert path.parent.name == "completions"
    assert find_content(root, "alice", T0) == path


def test_a_small_gap_matches_the_nearest_file(tmp_path):
    root = tmp_path / "usage"
    path = write(root)
    near = write(root, at=T0 + timedelta(microseconds=1500))
    assert find_content(root, "alice", T0 + timedelta(microseconds=400)) == path
    assert find_content(root, "alice", T0 + timedelta(microseconds=1200)) == near
    assert find_content(root, "alice", T0 + timedelta(microseconds=3500)) == near  # 2.0 ms from near
    assert find_content(root, "alice", T0 + timedelta(microseconds=3600)) is None  # 2.1 ms: too far


def test_nothing_for_another_moment(tmp_path):
    root = tmp_path / "usage"
    write(root)
    assert find_content(root, "alice", T0 + timedelta(seconds=1)) is None
    assert find_content(root, "alice", T0 - timedelta(seconds=1)) is None
    assert find_content(root, "alice", T0 + timedelta(milliseconds=50)) is None
    assert find_content(root, "alice", T0 + timedelta(days=1)) is None


def test_nothing_for_another_developer(tmp_path):
    root = tmp_path / "usage"
    write(root)
    assert find_content(root, "bob", T0) is None
    bobs = write(root, developer="bob")
    assert find_content(root, "bob", T0) == bobs
    assert find_content(root, "alice", T0) != bobs
    assert find_content(root, "ali", T0) is None


def test_nothing_without_a_folder(tmp_path):
    assert find_content(tmp_path / "missing", "alice", T0) is None
    (tmp_path / "usage").mkdir()
    assert find_content(tmp_path / "usage", "alice", T0) is None


def test_a_badly_named_file_is_ignored(tmp_path):
    root = tmp_path / "usage"
    folder = root / "alice" / "chat"
    folder.mkdir(parents=True)
    (folder / "2026-03-10T09-05-07.garbage_alice.json").write_text("{}", encoding="utf-8")
    assert find_content(root, "alice", T0) is None
    path = write(root)
    assert find_content(root, "alice", T0) == path


@pytest.mark.parametrize("developer", ["a[b]", "x*y", "what?", "[ab]"])
def test_developer_names_with_glob_characters(tmp_path, developer):
    root = tmp_path / "usage"
    path = write(root, developer=developer)
    assert path.name == f"2026-03-10T09-05-07.123456_{developer}.json"
    assert find_content(root, developer, T0) == path


def test_a_glob_name_does_not_pick_up_a_similar_developer(tmp_path):
    root = tmp_path / "usage"
    write(root, developer="ab")
    (root / "a[b]").mkdir()
    assert find_content(root, "a[b]", T0) is None
    assert find_content(root, "ab", T0) is not None


def test_find_content_matches_within_its_tolerance_across_a_second_boundary(tmp_path):
    # A file up to 2 ms from the requested moment matches, also when the gap crosses a whole second.
    root = tmp_path / "usage"
    at = T0.replace(microsecond=999_500)
    path = write(root, at=at)
    assert find_content(root, "alice", at - timedelta(microseconds=1000)) == path  # 1 ms, same second: found
    assert find_content(root, "alice", at + timedelta(microseconds=1000)) == path  # 1 ms, next second: found


# --- prompt_text -------------------------------------------------------------------------------------------


def test_chat_completions_prompt_is_the_last_user_message():
    request = {"model": "gpt-4.1", "messages": [
        {"role": "system", "content": "You are Copilot."},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "an answer"},
        {"role": "user", "content": "second question"},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "t1"}]},
        {"role": "tool", "tool_call_id": "t1", "content": "tool output"},
    ]}
    assert prompt_text(request) == "second question"


def test_chat_completions_prompt_with_content_parts():
    request = {"messages": [{"role": "user", "content": [
        {"type": "text", "text": "Explain this:"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,xyz"}},
        {"type": "text", "text": "def f(): pass"},
        {"type": "text", "text": 42},
        "stray",
    ]}]}
    assert prompt_text(request) == "Explain this:\ndef f(): pass"


def test_responses_input_items():
    request = {"model": "gpt-5.4", "instructions": "Be brief.", "input": [
        {"role": "developer", "content": [{"type": "input_text", "text": "rules"}]},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Fix the bug"},
                                                        {"type": "input_text", "text": "in main.py"}]},
        {"type": "function_call", "name": "read_file", "arguments": "{}"},
        {"type": "function_call_output", "output": "..."},
    ]}
    assert prompt_text(request) == "Fix the bug\nin main.py"
    assert prompt_text({"model": "gpt-5.4", "input": "What is 2 + 2?"}) == "What is 2 + 2?"


def test_anthropic_messages():
    request = {"model": "claude-sonnet-4.6", "system": [{"type": "text", "text": "system prompt"}], "messages": [
        {"role": "user", "content": [{"type": "text", "text": "Refactor this"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Sure"}]},
        {"role": "user", "content": "and add tests"},
    ]}
    assert prompt_text(request) == "and add tests"
    request["messages"].pop()
    assert prompt_text(request) == "Refactor this"


def test_completions_prompt():
    assert prompt_text({"prompt": "def add(a, b):\n    ", "suffix": "\n", "max_tokens": 500}) == "def add(a, b):\n    "
    assert prompt_text({"prompt": ["a", "b"]}) == ""


def test_prompt_of_junk_is_empty():
    assert prompt_text(None) == ""
    assert prompt_text(42) == ""
    assert prompt_text([{"role": "user", "content": "x"}]) == ""
    assert prompt_text({}) == ""
    assert prompt_text({"messages": None}) == ""
    assert prompt_text({"messages": [{"role": "assistant", "content": "only me"}]}) == ""
    assert prompt_text({"messages": [{"role": "user", "content": None}]}) == ""
    assert prompt_text({"messages": ["user", 3]}) == ""
    assert prompt_text("plain text body") == "plain text body"  # a body that was not JSON


# --- response_text ------------------------------------------------------------------------------------------


def test_streamed_chat_completions():
    chunks = [
        {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
        {"choices": [{"index": 0, "delta": {"content": "Hel"}}]},
        {"choices": [{"index": 0, "delta": {"content": "lo"}}]},
        {"choices": [{"index": 0, "delta": {"content": None, "tool_calls": [{"index": 0}]}}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {"choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 2}},
        "",  # [DONE]
    ]
    assert response_text(chunks) == "Hello"


def test_streamed_legacy_completions():
    chunks = [{"choices": [{"index": 0, "text": "return "}]}, {"choices": [{"index": 0, "text": "a + b"}]},
              {"choices": [{"index": 0, "text": "", "finish_reason": "stop"}]}, ""]
    assert response_text(chunks) == "return a + b"


def test_streamed_anthropic_messages():
    chunks = [
        {"type": "message_start", "message": {"id": "m1", "content": [], "usage": {"input_tokens": 5}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " there"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{}"}},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}},
        {"type": "message_stop"},
    ]
    assert response_text(chunks) == "Hi there"


def test_streamed_responses():
    chunks = [
        {"type": "response.created", "response": {"id": "r1", "output": []}},
        {"type": "response.output_item.added", "item": {"type": "message"}},
        {"type": "response.output_text.delta", "delta": "Done"},
        {"type": "response.output_text.delta", "delta": "!"},
        {"type": "response.output_text.delta", "delta": None},
        {"type": "response.output_text.done", "text": "Done!"},
        {"type": "response.completed", "response": {"output": [
            {"type": "message", "content": [{"type": "output_text", "text": "Done!"}]}]}},
    ]
    assert response_text(chunks) == "Done!"  # the done and completed events do not repeat the text


def test_whole_bodies():
    assert response_text({"choices": [{"index": 0, "message": {"role": "assistant", "content": "Sure."}}]}) == "Sure."
    assert response_text({"choices": [{"index": 0, "text": "x = 1"}]}) == "x = 1"
    assert response_text({"choices": [{"message": {"role": "assistant", "content": None}}]}) == ""
    anthropic = {"type": "message", "content": [{"type": "text", "text": "A"}, {"type": "tool_use", "id": "t"},
                                                {"type": "text", "text": "B"}]}
    assert response_text(anthropic) == "A\nB"
    responses = {"object": "response", "output": [
        {"type": "message", "content": [{"type": "output_text", "text": "First"}]},
        {"type": "message", "content": [{"type": "output_text", "text": "Second"}]},
    ]}
    assert response_text(responses) == "First\nSecond"
    assert response_text({"error": {"message": "rate limited"}}) == ""
    assert response_text("upstream said no") == "upstream said no"  # a body that was not JSON


def test_a_whole_responses_body_with_a_reasoning_item_reads_as_its_answer_alone():
    # A non-streamed Responses body of a reasoning model starts with a reasoning item (no content),
    # which adds nothing, not even a blank line.
    body = {"object": "response", "output": [
        {"type": "reasoning", "id": "rs_1", "summary": []},
        {"type": "message", "content": [{"type": "output_text", "text": "Answer"}]},
    ]}
    assert response_text(body) == "Answer"


@pytest.mark.parametrize("junk", ["", None, 0, 42, 4.2, True, {}, [], [None, 3, "x", []], {"content": "text"}])
def test_junk_has_no_answer(junk):
    assert response_text(junk) == ""


def test_a_non_list_choices_value_reads_as_no_answer():
    # `choices` of an unexpected type reads as no answer, like every other odd shape.
    assert response_text({"choices": 5}) == ""
    assert response_text([{"choices": 5}]) == ""


# --- read_conversation ----------------------------------------------------------------------------------------


def test_read_conversation_from_a_written_file(tmp_path):
    doc = document({"model": "gpt-4.1", "messages": [{"role": "user", "content": "你好, explain"}]},
                   [{"choices": [{"delta": {"content": "Sure"}}]}, {"choices": [{"delta": {"content": "!"}}]}, ""])
    path = write(tmp_path / "usage", doc=doc)
    assert read_conversation(path) == Conversation("你好, explain", "Sure!", path)


def test_read_conversation_of_a_file_without_sections(tmp_path):
    path = tmp_path / "empty.json"
    path.write_text(json.dumps({"timestamp": T0.isoformat(), "request": "odd", "response": None}), encoding="utf-8")
    assert read_conversation(path) == Conversation("", "", path)


def test_a_damaged_file_is_an_app_error(tmp_path):
    path = write(tmp_path / "usage")
    path.write_text('{"request": {"content": ', encoding="utf-8")
    with pytest.raises(AppError, match="could not be read") as caught:
        read_conversation(path)
    assert str(path) in caught.value.user_message
    assert "JSONDecodeError" in caught.value.details


def test_a_file_that_is_not_utf8_is_an_app_error(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"x": "\xe9"}')
    with pytest.raises(AppError, match="could not be read"):
        read_conversation(path)


def test_a_missing_file_is_an_app_error(tmp_path):
    with pytest.raises(AppError, match="could not be read") as caught:
        read_conversation(tmp_path / "gone.json")
    assert "FileNotFoundError" in caught.value.details


def test_a_json_list_is_not_a_recorded_request(tmp_path):
    path = tmp_path / "list.json"
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(AppError, match="is not a recorded request") as caught:
        read_conversation(path)
    assert caught.value.details == "list"


def test_long_texts_keep_their_end(tmp_path):
    prompt = "p" * 10 + "q" * MAX_TEXT_CHARS
    answer = "x" * MAX_TEXT_CHARS  # exactly the maximum: kept whole
    path = write(tmp_path / "usage", doc=document({"prompt": prompt}, {"choices": [{"text": answer + "yz"}]}))
    conversation = read_conversation(path)
    assert conversation.prompt == "…" + "q" * MAX_TEXT_CHARS
    assert len(conversation.prompt) == MAX_TEXT_CHARS + 1
    assert conversation.response == "…" + "x" * (MAX_TEXT_CHARS - 2) + "yz"

    path = write(tmp_path / "usage", doc=document({"prompt": answer}, {"choices": [{"text": "short"}]}))
    assert read_conversation(path) == Conversation(answer, "short", path)
