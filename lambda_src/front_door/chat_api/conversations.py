"""Conversations (and completion ownership) per caller identity: DynamoDB in AWS, SQLite locally.

Every read, write and delete is keyed by the caller's identity (the partition key in DynamoDB, part of the primary
key in SQLite): there is no code path that reads another caller's items, so another caller's id is simply not found.
Messages and titles are stored already redacted by the caller of this module.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Protocol

from frontdoor.clients import LazyStorageClient

from chat_api.settings import ChatSettings

#: DynamoDB's item limit is 400 KB; history beyond this is trimmed oldest-first.
MAX_ITEM_BYTES = 350_000
LIST_LIMIT = 100


def _trim(messages: list[dict[str, Any]]) -> str:
    """JSON of ``messages`` trimmed (oldest first, keeping the last two) to fit :data:`MAX_ITEM_BYTES`."""
    data = json.dumps(messages, ensure_ascii=False)
    while len(data.encode("utf-8", "surrogatepass")) > MAX_ITEM_BYTES and len(messages) > 2:
        messages = messages[max(1, len(messages) // 4) :]
        data = json.dumps(messages, ensure_ascii=False)
    return data


class ConversationStore(Protocol):
    """Caller-scoped conversation storage."""

    def get(self, owner: str, conversation_id: str) -> dict[str, Any] | None:
        """The conversation with ``messages``, or ``None`` (also when it belongs to someone else)."""
        ...

    def list(self, owner: str) -> list[dict[str, Any]]:
        """The caller's conversations (no messages), newest first."""
        ...

    def put(self, owner: str, conversation: dict[str, Any]) -> None:
        """Create or replace (``id``, ``title``, ``created_at``, ``updated_at``, ``messages``)."""
        ...

    def rename(self, owner: str, conversation_id: str, title: str) -> dict[str, Any] | None:
        """Set the title; the updated conversation or ``None``."""
        ...

    def delete(self, owner: str, conversation_id: str) -> bool:
        """Delete; whether it existed."""
        ...

    def add_completion(self, owner: str, completion_id: str, conversation_id: str) -> None:
        """Remember that ``completion_id`` was produced for ``owner`` (feedback is accepted only from them)."""
        ...

    def owns_completion(self, owner: str, completion_id: str) -> bool:
        """Whether ``owner`` produced ``completion_id``."""
        ...


class SqliteConversationStore:
    """One SQLite file; a connection shared across threads behind a lock (WAL journal)."""

    def __init__(self, path: str | Path, ttl_days: int = 90) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.ttl_s = ttl_days * 86400
        self.lock = threading.Lock()
        self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        with self.lock:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS conversations (owner TEXT NOT NULL, id TEXT NOT NULL, title TEXT, "
                "created_at INTEGER, updated_at INTEGER, messages TEXT, expires_at INTEGER, PRIMARY KEY (owner, id))"
            )
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS completions (owner TEXT NOT NULL, id TEXT NOT NULL, "
                "conversation_id TEXT, created_at INTEGER, expires_at INTEGER, PRIMARY KEY (owner, id))"
            )

    def _live(self) -> int:
        return int(time.time())

    def get(self, owner: str, conversation_id: str) -> dict[str, Any] | None:
        """See :class:`ConversationStore`."""
        with self.lock:
            row = self.db.execute(
                "SELECT id, title, created_at, updated_at, messages FROM conversations "
                "WHERE owner = ? AND id = ? AND expires_at > ?",
                (owner, conversation_id, self._live()),
            ).fetchone()
        if row is None:
            return None
        return {
            "id": row[0],
            "title": row[1],
            "created_at": row[2],
            "updated_at": row[3],
            "messages": json.loads(row[4] or "[]"),
        }

    def list(self, owner: str) -> list[dict[str, Any]]:
        """See :class:`ConversationStore`."""
        with self.lock:
            rows = self.db.execute(
                "SELECT id, title, created_at, updated_at FROM conversations WHERE owner = ? AND expires_at > ? "
                "ORDER BY updated_at DESC, id LIMIT ?",
                (owner, self._live(), LIST_LIMIT),
            ).fetchall()
        return [{"id": r[0], "title": r[1], "created_at": r[2], "updated_at": r[3]} for r in rows]

    def put(self, owner: str, conversation: dict[str, Any]) -> None:
        """See :class:`ConversationStore`."""
        c = conversation
        with self.lock:
            self.db.execute(
                "INSERT OR REPLACE INTO conversations VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    owner,
                    c["id"],
                    c["title"],
                    c["created_at"],
                    c["updated_at"],
                    _trim(c["messages"]),
                    c["updated_at"] + self.ttl_s,
                ),
            )

    def rename(self, owner: str, conversation_id: str, title: str) -> dict[str, Any] | None:
        """See :class:`ConversationStore`."""
        now = int(time.time())
        with self.lock:
            cur = self.db.execute(
                "UPDATE conversations SET title = ?, updated_at = ?, expires_at = ? "
                "WHERE owner = ? AND id = ? AND expires_at > ?",
                (title, now, now + self.ttl_s, owner, conversation_id, now),
            )
        return self.get(owner, conversation_id) if cur.rowcount else None

    def delete(self, owner: str, conversation_id: str) -> bool:
        """See :class:`ConversationStore`."""
        with self.lock:
            cur = self.db.execute(
                "DELETE FROM conversations WHERE owner = ? AND id = ? AND expires_at > ?",
                (owner, conversation_id, self._live()),
            )
        return cur.rowcount > 0

    def add_completion(self, owner: str, completion_id: str, conversation_id: str) -> None:
        """See :class:`ConversationStore`."""
        now = int(time.time())
        with self.lock:
            self.db.execute(
                "INSERT OR REPLACE INTO completions VALUES (?, ?, ?, ?, ?)",
                (owner, completion_id, conversation_id, now, now + self.ttl_s),
            )

    def owns_completion(self, owner: str, completion_id: str) -> bool:
        """See :class:`ConversationStore`."""
        with self.lock:
            row = self.db.execute(
                "SELECT 1 FROM completions WHERE owner = ? AND id = ? AND expires_at > ?",
                (owner, completion_id, self._live()),
            ).fetchone()
        return row is not None


class DynamoConversationStore(LazyStorageClient):
    """Single table: partition key ``owner`` (the caller identity), sort key ``sk`` = ``conv#<id>`` | ``cmpl#<id>``,
    TTL attribute ``expires_at``. Messages are one JSON string attribute (trimmed to fit the 400 KB item limit)."""

    service = "dynamodb"
    s: ChatSettings

    def __init__(self, s: ChatSettings) -> None:
        super().__init__(s)
        self.table = s.conversations_table
        self.ttl_s = s.conversation_ttl_days * 86400

    @staticmethod
    def _conv(item: dict[str, Any], with_messages: bool) -> dict[str, Any]:
        out = {
            "id": item["sk"]["S"].removeprefix("conv#"),
            "title": item.get("title", {}).get("S", ""),
            "created_at": int(item["created_at"]["N"]),
            "updated_at": int(item["updated_at"]["N"]),
        }
        if with_messages:
            out["messages"] = json.loads(item.get("messages", {}).get("S", "[]"))
        return out

    def _alive(self, item: dict[str, Any] | None) -> bool:
        return item is not None and int(item.get("expires_at", {}).get("N", "0")) > time.time()

    def get(self, owner: str, conversation_id: str) -> dict[str, Any] | None:
        """See :class:`ConversationStore`."""
        item = (
            self.client()
            .get_item(TableName=self.table, Key=_key(owner, f"conv#{conversation_id}"), ConsistentRead=True)
            .get("Item")
        )
        return self._conv(item, True) if item is not None and self._alive(item) else None

    def list(self, owner: str) -> list[dict[str, Any]]:
        """See :class:`ConversationStore`."""
        resp = self.client().query(
            TableName=self.table,
            KeyConditionExpression="#o = :o AND begins_with(sk, :p)",
            ExpressionAttributeNames={"#o": "owner", "#t": "title"},
            ExpressionAttributeValues={":o": {"S": owner}, ":p": {"S": "conv#"}},
            ProjectionExpression="sk, #t, created_at, updated_at, expires_at",
        )
        items = [self._conv(i, False) for i in resp.get("Items", []) if self._alive(i)]
        return sorted(items, key=lambda c: (-c["updated_at"], c["id"]))[:LIST_LIMIT]

    def put(self, owner: str, conversation: dict[str, Any]) -> None:
        """See :class:`ConversationStore`."""
        c = conversation
        self.client().put_item(
            TableName=self.table,
            Item={
                **_key(owner, f"conv#{c['id']}"),
                "title": {"S": c["title"]},
                "created_at": {"N": str(c["created_at"])},
                "updated_at": {"N": str(c["updated_at"])},
                "messages": {"S": _trim(c["messages"])},
                "expires_at": {"N": str(c["updated_at"] + self.ttl_s)},
            },
        )

    def rename(self, owner: str, conversation_id: str, title: str) -> dict[str, Any] | None:
        """See :class:`ConversationStore`."""
        from botocore.exceptions import ClientError

        now = int(time.time())
        try:
            self.client().update_item(
                TableName=self.table,
                Key=_key(owner, f"conv#{conversation_id}"),
                UpdateExpression="SET #t = :t, updated_at = :u, expires_at = :e",
                ConditionExpression="attribute_exists(sk) AND expires_at > :now",
                ExpressionAttributeNames={"#t": "title"},
                ExpressionAttributeValues={
                    ":t": {"S": title},
                    ":u": {"N": str(now)},
                    ":e": {"N": str(now + self.ttl_s)},
                    ":now": {"N": str(now)},
                },
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return None
            raise
        return self.get(owner, conversation_id)

    def delete(self, owner: str, conversation_id: str) -> bool:
        """See :class:`ConversationStore`."""
        resp = self.client().delete_item(
            TableName=self.table, Key=_key(owner, f"conv#{conversation_id}"), ReturnValues="ALL_OLD"
        )
        return self._alive(resp.get("Attributes"))

    def add_completion(self, owner: str, completion_id: str, conversation_id: str) -> None:
        """See :class:`ConversationStore`."""
        now = int(time.time())
        self.client().put_item(
            TableName=self.table,
            Item={
                **_key(owner, f"cmpl#{completion_id}"),
                "conversation_id": {"S": conversation_id},
                "created_at": {"N": str(now)},
                "expires_at": {"N": str(now + self.ttl_s)},
            },
        )

    def owns_completion(self, owner: str, completion_id: str) -> bool:
        """See :class:`ConversationStore`."""
        item = (
            self.client()
            .get_item(TableName=self.table, Key=_key(owner, f"cmpl#{completion_id}"), ConsistentRead=True)
            .get("Item")
        )
        return self._alive(item)


def _key(owner: str, sk: str) -> dict[str, Any]:
    return {"owner": {"S": owner}, "sk": {"S": sk}}


def build_conversation_store(s: ChatSettings) -> ConversationStore:
    """The store named by ``s.conversations``."""
    if s.conversations == "dynamodb":
        return DynamoConversationStore(s)
    return SqliteConversationStore(s.sqlite_path, s.conversation_ttl_days)
