/// The schema, as numbered steps in SQL that SQLite and PostgreSQL both accept. A step never changes once shipped;
/// later changes are new steps.
enum Migrations {
    static let steps: [(version: Int, statements: [String])] = [
        (1, [
            """
            CREATE TABLE documents (
                kind TEXT NOT NULL, id TEXT NOT NULL, tenant_id TEXT, lookup TEXT, body TEXT NOT NULL,
                PRIMARY KEY (kind, id))
            """,
            "CREATE INDEX documents_tenant ON documents (kind, tenant_id)",
            "CREATE INDEX documents_lookup ON documents (kind, tenant_id, lookup)",
            """
            CREATE TABLE sessions (
                id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, helper_user_id TEXT NOT NULL, sharer_user_id TEXT,
                device_id TEXT, state TEXT NOT NULL, created_at BIGINT NOT NULL, body TEXT NOT NULL)
            """,
            "CREATE INDEX sessions_tenant ON sessions (tenant_id, created_at)",
            """
            CREATE TABLE audit (
                sequence BIGINT PRIMARY KEY, time BIGINT NOT NULL, tenant_id TEXT, action TEXT NOT NULL,
                outcome TEXT NOT NULL, code TEXT, previous_hash TEXT NOT NULL, hash TEXT NOT NULL, body TEXT NOT NULL)
            """,
            "CREATE INDEX audit_tenant ON audit (tenant_id, sequence)",
            "CREATE TABLE audit_anchor (id INTEGER PRIMARY KEY, sequence BIGINT NOT NULL, hash TEXT NOT NULL)",
            "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ]),
        // The chain head, moved in the same transaction as every append: a chain that ends before its head lost
        // its newest records.
        (2, [
            "CREATE TABLE audit_head (id INTEGER PRIMARY KEY, sequence BIGINT NOT NULL, hash TEXT NOT NULL)",
            "INSERT INTO audit_head (id, sequence, hash) SELECT 1, sequence, hash FROM audit ORDER BY sequence DESC LIMIT 1",
        ]),
    ]
}
