-- THE schema of the course. One file, loaded by all three:
--   * Docker's first start (/docker-entrypoint-initdb.d, into MYSQL_DATABASE),
--   * the set-up tool, `cargo run -p db -- up`, for a local server (into DB_NAME),
--   * every test's throwaway database (shared::testing::TestDb).
-- So it names no database, and loading it twice is harmless (IF NOT EXISTS).
-- Portable between MySQL 9.7 and MariaDB 10.11: InnoDB for transactions, utf8mb4 declared per table
-- (Korean text and 4-byte emoji), and utf8mb4_unicode_520_ci, which both servers know
-- (MySQL's utf8mb4_0900_* collations do not exist in MariaDB). Not utf8mb4_unicode_ci: it weighs
-- every emoji the same, so 'a🦀@x.com' and 'a😀@x.com' would be one email for the unique key.

-- An AI agent's users. The email is how a user is found, so it is unique.
CREATE TABLE IF NOT EXISTS users (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    name       VARCHAR(100)    NOT NULL,
    email      VARCHAR(255)    NOT NULL,
    created_at DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_users_email (email)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_520_ci;

-- One row per message. A question (role 'user') has no reply_to; the agent's answer
-- (role 'assistant') points at the question it answers. Saving an exchange is therefore two
-- INSERTs, which lesson8 wraps in one transaction, and a question left without its answer is
-- found by: questions LEFT JOIN answers ON answer.reply_to = question.id WHERE answer.id IS NULL.
--
-- Deleting a user deletes their conversations (ON DELETE CASCADE): a message has no meaning
-- without its user. Questions and answers both carry user_id, so that one cascade removes them all.
-- reply_to has no foreign key of its own: a cascade through a table that references itself is
-- refused by MySQL 9.7 once a user has three exchanges (ERROR 6575, "Foreign key cascade
-- delete/update exceeds max tables limit"). Which question an answer may point at (an existing
-- question of the same user) is checked by the statement that saves it, lesson 7's save_answer.
CREATE TABLE IF NOT EXISTS conversations (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    user_id    BIGINT UNSIGNED NOT NULL,
    role       ENUM('user', 'assistant') NOT NULL,
    content    TEXT            NOT NULL,
    reply_to   BIGINT UNSIGNED NULL,
    created_at DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    -- "this user's N most recent messages": newest first, id breaks ties within one second.
    KEY ix_conversations_user_recent (user_id, created_at, id),
    -- An answer answers at most one question, and each question has at most one answer.
    UNIQUE KEY uq_conversations_reply_to (reply_to),
    CONSTRAINT fk_conversations_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_520_ci;

-- A user's tokens (lesson 9's API): whoever shows one acts as that user. Only a SHA-256 of each
-- token is stored: the token itself is shown once, to its user, when the user is created, so a
-- copy of this table (a backup, a leak) lets no one in. Deleting a user deletes their tokens.
CREATE TABLE IF NOT EXISTS user_tokens (
    token_hash BINARY(32)      NOT NULL,
    user_id    BIGINT UNSIGNED NOT NULL,
    created_at DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (token_hash),
    KEY ix_user_tokens_user (user_id),
    CONSTRAINT fk_user_tokens_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_520_ci;
