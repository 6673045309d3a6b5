"""Append-only schema migrations for SQLite: never edit a step, only add new ones at the end."""

import sqlite3
from collections.abc import Iterator

SQLITE_MIGRATIONS: tuple[str, ...] = (
    # 1: the skeleton schema
    """
    CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL DEFAULT '',
        added_at TEXT NOT NULL,
        etag TEXT,
        last_modified TEXT,
        last_attempt_at TEXT,
        last_success_at TEXT,
        last_error TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        articles_seen INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE stories (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        headline TEXT NOT NULL DEFAULT '',
        standfirst TEXT NOT NULL DEFAULT '',
        writing TEXT,
        topic TEXT NOT NULL DEFAULT '',
        centroid BLOB NOT NULL,
        size INTEGER NOT NULL DEFAULT 0,
        terms TEXT NOT NULL DEFAULT '{}',
        dirty INTEGER NOT NULL DEFAULT 1
    );
    CREATE TABLE term_df (
        term TEXT PRIMARY KEY,
        df INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX stories_updated ON stories(updated_at);
    CREATE TABLE articles (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        source_id INTEGER REFERENCES sources(id) ON DELETE SET NULL,
        outlet TEXT NOT NULL,
        title TEXT NOT NULL,
        text TEXT NOT NULL,
        published TEXT NOT NULL,
        author TEXT NOT NULL DEFAULT '',
        section TEXT NOT NULL DEFAULT '',
        language TEXT,
        content_hash TEXT NOT NULL,
        copy_of TEXT REFERENCES articles(id),
        story_id TEXT REFERENCES stories(id),
        partial INTEGER NOT NULL DEFAULT 0,
        fetched_at TEXT
    );
    CREATE INDEX articles_hash ON articles(content_hash);
    CREATE INDEX articles_story ON articles(story_id);
    CREATE TABLE embeddings (
        article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        model TEXT NOT NULL,
        vector BLOB NOT NULL
    );
    CREATE TABLE story_redirects (
        old_id TEXT PRIMARY KEY,
        new_id TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE related (
        story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
        rank INTEGER NOT NULL,
        related_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
        score REAL NOT NULL,
        label TEXT NOT NULL,
        PRIMARY KEY (story_id, rank)
    );
    """,
    # 2: near-duplicate detection (MinHash signatures and their LSH band keys)
    """
    CREATE TABLE article_signatures (
        article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        signature BLOB NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE article_bands (
        band_key TEXT NOT NULL,
        article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        PRIMARY KEY (band_key, article_id)
    ) WITHOUT ROWID;
    """,
    # 3: earlier writings of a story are kept when new articles make the desk rewrite it
    """
    ALTER TABLE stories ADD COLUMN written_at TEXT;
    CREATE TABLE story_versions (
        story_id TEXT NOT NULL,
        number INTEGER NOT NULL,
        written_at TEXT NOT NULL,
        writing TEXT NOT NULL,
        PRIMARY KEY (story_id, number)
    );
    """,
    # 4: linking: entities, story link profiles, same-event flags, the shared names behind a related label
    """
    CREATE TABLE entities (
        slug TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL
    );
    CREATE TABLE story_entities (
        story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
        entity_slug TEXT NOT NULL REFERENCES entities(slug),
        salience REAL NOT NULL,
        PRIMARY KEY (story_id, entity_slug)
    );
    CREATE INDEX story_entities_entity ON story_entities(entity_slug, salience);
    CREATE TABLE story_profiles (
        story_id TEXT PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,
        article_count INTEGER NOT NULL,
        lead BLOB NOT NULL,
        whole BLOB NOT NULL,
        terms TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE same_event (
        story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
        other_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
        PRIMARY KEY (story_id, other_id)
    );
    ALTER TABLE related ADD COLUMN via TEXT NOT NULL DEFAULT ''
    """,
    # 5: source kinds, scheduling and health; article update time and image
    """
    ALTER TABLE sources ADD COLUMN kind TEXT NOT NULL DEFAULT 'feed';
    ALTER TABLE sources ADD COLUMN next_attempt_at TEXT;
    ALTER TABLE sources ADD COLUMN interval_minutes INTEGER;
    ALTER TABLE sources ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sources ADD COLUMN last_warning TEXT;
    ALTER TABLE articles ADD COLUMN updated TEXT;
    ALTER TABLE articles ADD COLUMN image_url TEXT;
    """,
    # 6: publishing: per-story counts kept by triggers (fast lists), and full-text search over written stories
    """
    ALTER TABLE stories ADD COLUMN article_count INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE stories ADD COLUMN outlet_count INTEGER NOT NULL DEFAULT 0;
    UPDATE stories SET
        article_count = (SELECT COUNT(*) FROM articles a WHERE a.story_id = stories.id),
        outlet_count = (SELECT COUNT(DISTINCT a.outlet) FROM articles a WHERE a.story_id = stories.id);
    CREATE INDEX stories_latest ON stories(updated_at, id);
    CREATE INDEX stories_topic_latest ON stories(topic, updated_at, id);
    CREATE INDEX articles_outlet_story ON articles(outlet, story_id);
    CREATE TRIGGER articles_count_on_assign AFTER UPDATE OF story_id ON articles BEGIN
        UPDATE stories SET
            article_count = (SELECT COUNT(*) FROM articles a WHERE a.story_id = stories.id),
            outlet_count = (SELECT COUNT(DISTINCT a.outlet) FROM articles a WHERE a.story_id = stories.id)
        WHERE id IN (OLD.story_id, NEW.story_id);
    END;
    CREATE TRIGGER articles_count_on_insert AFTER INSERT ON articles WHEN NEW.story_id IS NOT NULL BEGIN
        UPDATE stories SET
            article_count = (SELECT COUNT(*) FROM articles a WHERE a.story_id = stories.id),
            outlet_count = (SELECT COUNT(DISTINCT a.outlet) FROM articles a WHERE a.story_id = stories.id)
        WHERE id = NEW.story_id;
    END;
    CREATE TABLE story_search_docs (
        doc INTEGER PRIMARY KEY,
        story_id TEXT NOT NULL UNIQUE
    );
    CREATE VIRTUAL TABLE story_search USING fts5(
        headline, standfirst, body, tokenize = 'porter unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER stories_search_on_write AFTER UPDATE OF headline, standfirst, writing ON stories BEGIN
        INSERT OR IGNORE INTO story_search_docs (story_id) VALUES (NEW.id);
        DELETE FROM story_search WHERE rowid = (SELECT doc FROM story_search_docs WHERE story_id = NEW.id);
        INSERT INTO story_search (rowid, headline, standfirst, body)
        SELECT d.doc, NEW.headline, NEW.standfirst,
            COALESCE((SELECT group_concat(j.value, ' ') FROM json_tree(NEW.writing) j
                      WHERE j.key = 'text' AND j.path LIKE '$.briefing%'), '')
            || ' ' || COALESCE((SELECT group_concat(a.title, ' ') FROM articles a WHERE a.story_id = NEW.id), '')
        FROM story_search_docs d WHERE d.story_id = NEW.id;
    END;
    CREATE TRIGGER stories_search_on_delete AFTER DELETE ON stories BEGIN
        DELETE FROM story_search WHERE rowid = (SELECT doc FROM story_search_docs WHERE story_id = OLD.id);
        DELETE FROM story_search_docs WHERE story_id = OLD.id;
    END;
    INSERT INTO story_search_docs (story_id) SELECT id FROM stories;
    INSERT INTO story_search (rowid, headline, standfirst, body)
    SELECT d.doc, s.headline, s.standfirst,
        COALESCE((SELECT group_concat(j.value, ' ') FROM json_tree(s.writing) j
                  WHERE j.key = 'text' AND j.path LIKE '$.briefing%'), '')
        || ' ' || COALESCE((SELECT group_concat(a.title, ' ') FROM articles a WHERE a.story_id = s.id), '')
    FROM story_search_docs d JOIN stories s ON s.id = d.story_id;
    """,
    # 7: story engine evidence: each story's sections, each article's keywords (the inverted index that
    # finds candidate stories by wording), and the count of original articles kept beside term_df
    """
    ALTER TABLE stories ADD COLUMN sections TEXT NOT NULL DEFAULT '{}';
    CREATE TABLE article_keywords (
        term TEXT NOT NULL,
        article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        PRIMARY KEY (term, article_id)
    ) WITHOUT ROWID;
    INSERT INTO term_df (term, df) SELECT '', COUNT(*) FROM articles WHERE copy_of IS NULL;
    CREATE INDEX story_redirects_new ON story_redirects(new_id);
    CREATE INDEX articles_story_time ON articles(id, story_id, published);
    """,
    # 8: stories' summed terms as names and float64 weights (store/codec.py encode_terms), read faster than
    # the JSON in `terms`, which rows written before keep until the engine next writes them ('{}' after)
    """
    ALTER TABLE stories ADD COLUMN term_names TEXT;
    ALTER TABLE stories ADD COLUMN term_weights BLOB;
    """,
)


def migration_statements(script: str) -> Iterator[str]:
    """The SQL statements of a migration script (trigger bodies hold semicolons, so split on complete ones)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer
            buffer = ""
    if buffer.strip():
        yield buffer
