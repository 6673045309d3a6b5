"""Append-only schema migrations for SQLite: never edit a step, only add new ones at the end."""

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
    # 3: story engine evidence: each story's sections, each article's keywords (the inverted index that
    # finds candidate stories by wording, with a covering index so a lookup never reads article texts),
    # the count of original articles kept beside term_df, and an index to follow redirects
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
)
