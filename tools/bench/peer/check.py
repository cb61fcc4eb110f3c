"""Before anything is measured, compare.sh asks both servers the same requests and checks that they
keep the same contract: the statuses, the JSON shapes, 20 messages for a reader, a chat's answer
replying to its question, the same offline answer, 401 without a token and the same 404 for an
unknown user as for another user's token. Exits non-zero (and says what differs) otherwise.
Each user's token is "peer-token-<id>" (compare.sh stores them).

usage: python3 check.py <lesson9 base URL> <python base URL> <reader id> <chatter id> <unknown id>
"""

import json
import sys
import urllib.error
import urllib.request

QUESTION = "Why does a connection pool make a server faster?"
MESSAGE_KEYS = {"id", "role", "content", "reply_to", "created_at"}


def token(user):
    return f"peer-token-{user}"


def call(method, url, body=None, user=None):
    """`user`: whose token the request shows (none if None)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if user is not None:
        request.add_header("Authorization", f"Bearer {token(user)}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def check_message(where, message, role):
    assert set(message) == MESSAGE_KEYS, f"{where}: a message has the keys {sorted(message)}"
    assert message["role"] == role, f"{where}: role {message['role']!r}, expected {role!r}"
    assert len(message["created_at"]) == 19 and message["created_at"][10] == "T", (
        f"{where}: created_at {message['created_at']!r} is not YYYY-MM-DDTHH:MM:SS"
    )


def check(name, base, reader, chatter, unknown):
    status, messages = call("GET", f"{base}/users/{reader}/conversations", user=reader)
    assert status == 200, f"{name}: GET conversations answered {status}: {messages}"
    assert len(messages) == 20, f"{name}: GET conversations gave {len(messages)} messages, not 20"
    ids = [m["id"] for m in messages]
    assert ids == sorted(ids, reverse=True), f"{name}: the messages are not newest first: {ids}"
    check_message(f"{name} GET", messages[0], "assistant")

    status, reply = call("GET", f"{base}/users/{reader}/conversations?limit=3", user=reader)
    assert status == 200 and len(reply) == 3, f"{name}: ?limit=3 answered {status} with {reply}"
    status, reply = call("GET", f"{base}/users/{reader}/conversations?limit=0", user=reader)
    assert status == 422 and reply.get("error") == "invalid", f"{name}: ?limit=0 answered {status} {reply}"

    for method, route, body in [
        ("GET", "/users/{}/conversations", None),
        ("POST", "/users/{}/chat", {"question": QUESTION}),
    ]:
        # The reader's token, for a user that does not exist and for the chatter: the same 404.
        for user in [unknown, chatter]:
            path = route.format(user)
            status, reply = call(method, base + path, body, user=reader)
            assert status == 404 and reply == {
                "error": "user_not_found",
                "message": f"no user has id {user}",
            }, f"{name}: {method} {path} with another user's token answered {status} {reply}"
        path = route.format(chatter)
        status, reply = call(method, base + path, body)
        assert status == 401 and reply.get("error") == "unauthorized", (
            f"{name}: {method} {path} without a token answered {status} {reply}"
        )

    status, reply = call("POST", f"{base}/users/{chatter}/chat", {"question": "  "}, user=chatter)
    assert status == 422 and reply.get("error") == "invalid", f"{name}: an empty question: {status} {reply}"

    status, reply = call("POST", f"{base}/users/{chatter}/chat", {"question": QUESTION}, user=chatter)
    assert status == 201, f"{name}: POST chat answered {status}: {reply}"
    assert set(reply) == {"question", "answer"}, f"{name}: POST chat answered {reply}"
    check_message(f"{name} POST question", reply["question"], "user")
    check_message(f"{name} POST answer", reply["answer"], "assistant")
    assert reply["question"]["content"] == QUESTION, f"{name}: the question came back as {reply['question']}"
    assert reply["question"]["reply_to"] is None, f"{name}: a question replies to something: {reply}"
    assert reply["answer"]["reply_to"] == reply["question"]["id"], (
        f"{name}: the answer does not reply to its question: {reply}"
    )
    return reply["answer"]["content"]


def main():
    rust, python, reader, chatter, unknown = sys.argv[1:6]
    answers = [check(name, base, reader, chatter, unknown) for name, base in [("lesson9", rust), ("python", python)]]
    assert answers[0] == answers[1], f"the offline agents differ: {answers[0]!r} vs {answers[1]!r}"
    print("  contract: both servers give the same statuses and JSON shapes, and the same offline answer")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as err:
        sys.exit(f"contract check failed: {err}")
