"""Re-encrypting every encrypted column under the primary key of the ring (key rotation)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import connection, models, transaction

from bastion.platform.crypto import DecryptionError, EncryptedTextField, decrypt, encrypt, key_id_of, key_ring


@dataclass(frozen=True)
class EncryptedColumn:
    """One encrypted column: the model, its field, and the SQL names needed to read it raw."""

    model: type[models.Model]
    field: EncryptedTextField

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field.name}"


@dataclass
class ColumnReport:
    """What rotation found and did in one column."""

    column: str
    by_key: Counter[str] = field(default_factory=Counter)
    reencrypted: int = 0
    skipped_concurrent: int = 0
    failures: list[str] = field(default_factory=list)


def encrypted_columns() -> list[EncryptedColumn]:
    """Every encrypted column of every installed model (each table once, proxies skipped)."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        for model_field in model._meta.local_concrete_fields:
            if isinstance(model_field, EncryptedTextField):
                found.append(EncryptedColumn(model, model_field))
    return sorted(found, key=lambda c: c.label)


def _sql_names(column: EncryptedColumn) -> tuple[str, str, str]:
    quote = connection.ops.quote_name
    meta = column.model._meta
    assert meta.pk is not None
    return quote(meta.db_table), quote(meta.pk.column), quote(column.field.column)


def count_rows(column: EncryptedColumn) -> int:
    table, _pk, col = _sql_names(column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE {col} IS NOT NULL AND {col} <> ''")  # noqa: S608
        return int(cursor.fetchone()[0])


def _raw_batches(column: EncryptedColumn, batch_size: int) -> Iterator[list[tuple[Any, str]]]:
    """Stored (pk, ciphertext) pairs in primary-key order, without the field's transparent decryption."""
    table, pk, col = _sql_names(column)
    base = f"SELECT {pk}, {col} FROM {table} WHERE {col} IS NOT NULL AND {col} <> ''"  # noqa: S608
    last: Any = None
    while True:
        with connection.cursor() as cursor:
            if last is None:
                cursor.execute(f"{base} ORDER BY {pk} LIMIT %s", [batch_size])
            else:
                cursor.execute(f"{base} AND {pk} > %s ORDER BY {pk} LIMIT %s", [last, batch_size])
            rows = [(row[0], str(row[1])) for row in cursor.fetchall()]
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def rotate_column(
    column: EncryptedColumn,
    *,
    batch_size: int = 500,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ColumnReport:
    """Re-encrypt one column's values that are not under the primary key; count values per key id."""
    report = ColumnReport(column.label)
    ring = key_ring()
    primary_id = ring.primary[0]
    context = column.field.crypto_context
    table, pk, col = _sql_names(column)
    for batch in _raw_batches(column, batch_size):
        updates = []
        for row_pk, token in batch:
            try:
                kid = key_id_of(token)
                report.by_key[kid] += 1
                if kid != primary_id:
                    updates.append(
                        (encrypt(decrypt(token, context=context, ring=ring), context=context), row_pk, token)
                    )
            except DecryptionError as exc:
                report.failures.append(f"{column.label} pk={row_pk}: {exc}")
        if updates and not dry_run:
            with transaction.atomic(), connection.cursor() as cursor:
                for new_token, row_pk, old_token in updates:
                    # Compare-and-set: a row the application rewrote meanwhile is already under the primary.
                    cursor.execute(
                        f"UPDATE {table} SET {col} = %s WHERE {pk} = %s AND {col} = %s",  # noqa: S608
                        [new_token, row_pk, old_token],
                    )
                    if cursor.rowcount == 1:
                        report.reencrypted += 1
                    else:
                        report.skipped_concurrent += 1
        if progress:
            progress(len(batch))
    return report
