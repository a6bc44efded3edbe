"""SQLite: the FTS5 table carries status and an English flag, so searches never read article rows.

Joining the FTS table to ``knowledge_article`` to filter by status read every matching article row,
search documents included (tens of kilobytes each); with 20,000 articles that cost more than the
ranking itself. PostgreSQL is unaffected.
"""

from django.db import migrations

FTS_TABLE = "knowledge_article_fts"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    schema_editor.execute(
        f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
        "title, body, status UNINDEXED, has_en UNINDEXED, tokenize='unicode61')"
    )
    schema_editor.execute(
        f"INSERT INTO {FTS_TABLE} (rowid, title, body, status, has_en) "
        "SELECT id, search_title, search_body, status, CASE WHEN title_en <> '' THEN '1' ELSE '0' END "
        "FROM knowledge_article"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    schema_editor.execute(f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, body, tokenize='unicode61')")
    schema_editor.execute(
        f"INSERT INTO {FTS_TABLE} (rowid, title, body) SELECT id, search_title, search_body FROM knowledge_article"
    )


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0003_search_vector_column")]

    operations = [migrations.RunPython(forwards, backwards)]
