"""Lesson 9's two busiest endpoints, written the lecture's way: FastAPI + pymysql + the Queue pool.

A peer for the comparison in compare.sh, not a lesson. It is deliberately *not* tuned: the pool is
the lecture's (lessons/lesson4-queue-pool/README.md), pymysql keeps its defaults (autocommit off, as
the lecture's conn.commit() calls assume), the handlers are plain `def` (FastAPI runs them on its
thread pool), and the SQL is the lecture's (lessons 2, 7 and 8). Same JSON contract as lesson 9:

    GET  /users/{id}/conversations?limit=N   200 [message, ...] newest first; 401; 404; 422
    POST /users/{id}/chat {"question": ...}  201 {"question": message, "answer": message}; 401; 404; 422

Both need `Authorization: Bearer <token>` of that user, checked as lesson 9 checks it (the SHA-256
of the token looked up in user_tokens, in place of the user check): 401 without a valid token,
and for another user's token the 404 of a user that does not exist.

One flaw of the lecture's way is kept on purpose: with autocommit off, a GET's SELECT opens a
transaction that nothing ends, so under InnoDB's REPEATABLE READ that pooled connection keeps seeing
the snapshot of its first read until a later chat on it commits (lessons/lesson2-create-read's
README). The benchmark's data does not change under its readers, so the figures are not affected.

Run it (compare.sh does): uvicorn app:app --workers 2 --port 8002, from this folder.
Settings: the course's DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME, PEER_POOL_SIZE
(connections per worker process, default 4 as in the lecture) and PEER_UNIX_SOCKET (a socket path
to use instead of TCP).
"""

import hashlib
import os
from queue import Queue

import pymysql
from fastapi import FastAPI, Header
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException


class ConnectionPool:
    """The lecture's pool, as it is written there."""

    def __init__(self, maxsize=4, **db_config):
        self.pool = Queue(maxsize)
        for _ in range(maxsize):
            self.pool.put(pymysql.connect(**db_config))

    def get_conn(self):
        conn = self.pool.get()
        conn.ping(reconnect=True)  # one round trip on every checkout
        return conn

    def release_connection(self, conn):
        self.pool.put(conn)

    def close_all(self):
        while not self.pool.empty():
            self.pool.get().close()


DB_CONFIG = dict(
    host=os.environ.get("DB_HOST", "127.0.0.1"),
    port=int(os.environ.get("DB_PORT", "3306")),
    user=os.environ.get("DB_USER", "tester"),
    password=os.environ.get("DB_PASSWORD", "tester"),
    db=os.environ.get("DB_NAME", "llmagent"),
    charset="utf8mb4",
)
# compare.sh sets it when lesson 9's connections use the server's Unix socket, so both pay alike.
if os.environ.get("PEER_UNIX_SOCKET"):
    DB_CONFIG["unix_socket"] = os.environ["PEER_UNIX_SOCKET"]
# Each worker process imports this module, so each has its own pool (2 workers: 2 x 4 connections).
pool = ConnectionPool(maxsize=int(os.environ.get("PEER_POOL_SIZE", "4")), **DB_CONFIG)

app = FastAPI()

MAX_CONTENT_BYTES = 65_535  # a TEXT column
MAX_LIMIT = 100


# --- the lecture's database functions (lessons 6, 7, 8) ---------------------------------------


def token_owner(conn, token):
    """The id of the user whose token this is, or None: only the token's SHA-256 is stored."""
    digest = hashlib.sha256(token.encode("utf-8")).digest()
    with conn.cursor() as cursor:
        cursor.execute("SELECT user_id FROM user_tokens WHERE token_hash = %s", (digest,))
        row = cursor.fetchone()
        return row[0] if row else None


def get_recent_conversations(conn, user_id, limit):
    with conn.cursor(pymysql.cursors.DictCursor) as cursor:
        cursor.execute(
            "SELECT id, user_id, role, content, reply_to, created_at FROM conversations "
            "WHERE user_id = %s ORDER BY created_at DESC, id DESC LIMIT %s",
            (user_id, limit),
        )
        return cursor.fetchall()


def save_exchange(conn, user_id, question, answer):
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "INSERT INTO conversations (user_id, role, content) VALUES (%s, 'user', %s)",
                (user_id, question),
            )
            question_id = cursor.lastrowid
            cursor.execute(
                "INSERT INTO conversations (user_id, role, content, reply_to) "
                "VALUES (%s, 'assistant', %s, %s)",
                (user_id, answer, question_id),
            )
            answer_id = cursor.lastrowid
        conn.commit()
    except Exception:
        conn.rollback()
        raise
    return question_id, answer_id


def read_exchange(conn, question_id, answer_id):
    with conn.cursor(pymysql.cursors.DictCursor) as cursor:
        cursor.execute(
            "SELECT id, user_id, role, content, reply_to, created_at FROM conversations "
            "WHERE id IN (%s, %s) ORDER BY id",
            (question_id, answer_id),
        )
        return cursor.fetchall()


# --- lesson 9's offline agent (src/agent.rs), the same answers -----------------------------------

TOPICS = [
    (
        ["트랜잭션", "transaction"],
        "트랜잭션은 여러 SQL 문을 하나로 묶어요: 모두 커밋되거나, 모두 롤백돼요.",
        "A transaction groups statements: all of them are committed, or all are rolled back.",
    ),
    (
        ["풀", "pool"],
        "커넥션 풀은 커넥션을 미리 열어 두고 빌려줬다가 반납받아요. 요청마다 새로 열지 않아요.",
        "A connection pool opens connections once, lends one per request and takes it back.",
    ),
    (
        ["바인딩", "binding", "injection"],
        "파라미터 바인딩을 쓰면 값이 SQL과 따로 전달돼서, 어떤 값도 SQL 문을 바꿀 수 없어요.",
        "With parameter binding the values travel apart from the SQL, so no value can change it.",
    ),
    (
        ["서버", "server"],
        "이 서버는 질문마다 먼저 답을 구하고, 질문과 답을 한 트랜잭션으로 저장해요.",
        "This server gets the answer first, then saves the question and the answer in one transaction.",
    ),
]


def offline_answer(question):
    korean = any("가" <= c <= "힣" for c in question)
    lower = question.lower()
    topic = next((t for t in TOPICS if any(k in lower for k in t[0])), None)
    if topic and korean:
        return f"(오프라인 에이전트) {topic[1]}"
    if topic:
        return f"(offline agent) {topic[2]}"
    if korean:
        return (
            f"(오프라인 에이전트) {len(question)}자짜리 질문을 잘 받았어요. "
            "진짜 답을 원하면 AGENT=openai로 서버를 시작하세요."
        )
    return (
        f"(offline agent) I got your question ({len(question)} characters). "
        "Start the server with AGENT=openai for real answers."
    )


# --- the routes ---------------------------------------------------------------------------------


def error(status, code, message):
    return JSONResponse({"error": code, "message": message}, status_code=status)


def no_user(user_id):
    return error(404, "user_not_found", f"no user has id {user_id}")


def unauthorized(message):
    response = error(401, "unauthorized", message)
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


def bearer(authorization):
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def authorize(conn, user_id, token):
    """None if `token` is user_id's; else the error response: 401, or the 404 of an unknown user."""
    owner = token_owner(conn, token)
    if owner is None:
        return unauthorized("the token is not valid")
    if owner != user_id:
        return no_user(user_id)
    return None


def message(row):
    return {
        "id": row["id"],
        "role": row["role"],
        "content": row["content"],
        "reply_to": row["reply_to"],
        "created_at": row["created_at"].isoformat(),
    }


@app.exception_handler(RequestValidationError)
def invalid_request(request, exc):
    return error(422, "invalid", str(exc.errors()[0].get("msg", "invalid request")))


@app.exception_handler(HTTPException)
def http_error(request, exc):
    return error(exc.status_code, "not_found" if exc.status_code == 404 else "bad_request", str(exc.detail))


NO_TOKEN = "this route needs the header `Authorization: Bearer <token>`"


@app.get("/users/{user_id}/conversations")
def conversations(user_id: int, limit: int = 20, authorization: str | None = Header(default=None)):
    token = bearer(authorization)
    if token is None:
        return unauthorized(NO_TOKEN)
    if not 1 <= limit <= MAX_LIMIT:
        return error(422, "invalid", f"invalid limit: it is {limit}, it must be from 1 to {MAX_LIMIT}")
    conn = pool.get_conn()
    try:
        refused = authorize(conn, user_id, token)
        if refused:
            return refused
        rows = get_recent_conversations(conn, user_id, limit)
    finally:
        pool.release_connection(conn)
    return [message(row) for row in rows]


class Question(BaseModel):
    question: str


@app.post("/users/{user_id}/chat", status_code=201)
def chat(user_id: int, body: Question, authorization: str | None = Header(default=None)):
    token = bearer(authorization)
    if token is None:
        return unauthorized(NO_TOKEN)
    question = body.question
    if not question.strip():
        return error(422, "invalid", "invalid question: it is empty")
    size = len(question.encode("utf-8"))
    if size > MAX_CONTENT_BYTES:
        return error(
            422, "invalid", f"invalid question: it is {size} bytes long, at most {MAX_CONTENT_BYTES} fit"
        )
    answer = offline_answer(question)  # no connection held while the agent thinks
    conn = pool.get_conn()
    try:
        refused = authorize(conn, user_id, token)
        if refused:
            return refused
        question_id, answer_id = save_exchange(conn, user_id, question, answer)
        rows = read_exchange(conn, question_id, answer_id)
    finally:
        pool.release_connection(conn)
    return {"question": message(rows[0]), "answer": message(rows[1])}
