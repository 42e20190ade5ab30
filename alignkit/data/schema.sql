-- alignkit workspace database (SQLite). Every statement is idempotent, so
-- running the file again brings an older workspace up to date.

CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS companies (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    industry TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS waves (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    instrument_version TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (company_id, name)
);
CREATE TABLE IF NOT EXISTS imports (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    wave_id INTEGER NOT NULL REFERENCES waves(id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL,
    source TEXT NOT NULL,
    file_name TEXT NOT NULL,
    raw_path TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    respondents INTEGER NOT NULL,
    skipped INTEGER NOT NULL,
    answers INTEGER NOT NULL,
    UNIQUE (company_id, sha256)
);
CREATE TABLE IF NOT EXISTS respondents (
    id INTEGER PRIMARY KEY,
    wave_id INTEGER NOT NULL REFERENCES waves(id) ON DELETE CASCADE,
    import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    pseudonym TEXT NOT NULL,
    team TEXT NOT NULL CHECK (team IN ('sales', 'marketing', 'leadership', 'other')),
    role TEXT,
    comment TEXT,
    UNIQUE (wave_id, pseudonym)
);
CREATE TABLE IF NOT EXISTS answers (
    respondent_id INTEGER NOT NULL REFERENCES respondents(id) ON DELETE CASCADE,
    item TEXT NOT NULL,
    value INTEGER,
    PRIMARY KEY (respondent_id, item)
);
CREATE INDEX IF NOT EXISTS answers_item ON answers(item);

-- CRM funnel: one row per lead (pseudonymous), or stage counts per period.
CREATE TABLE IF NOT EXISTS funnel_imports (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL,
    source TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('leads', 'counts')),
    file_name TEXT NOT NULL,
    raw_path TEXT NOT NULL,
    period TEXT,
    imported_at TEXT NOT NULL,
    rows INTEGER NOT NULL,
    skipped INTEGER NOT NULL,
    UNIQUE (company_id, sha256)
);
CREATE TABLE IF NOT EXISTS leads (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    import_id INTEGER NOT NULL REFERENCES funnel_imports(id) ON DELETE CASCADE,
    lead TEXT NOT NULL,
    created_at TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('marketing', 'sales', 'other')),
    mql_at TEXT,
    sal_at TEXT,
    sql_at TEXT,
    opportunity_at TEXT,
    closed_at TEXT,
    outcome TEXT CHECK (outcome IN ('won', 'lost')),
    first_touch_at TEXT,
    owner TEXT,
    owner_team TEXT,
    amount REAL,
    period TEXT,
    UNIQUE (company_id, lead)
);
CREATE TABLE IF NOT EXISTS funnel_counts (
    company_id INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    import_id INTEGER NOT NULL REFERENCES funnel_imports(id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    stage TEXT NOT NULL CHECK (stage IN ('lead', 'mql', 'sal', 'sql', 'opportunity', 'won')),
    count INTEGER NOT NULL CHECK (count >= 0),
    PRIMARY KEY (company_id, period, stage)
);

-- Plan and execute: the joint action plan, its progress and the KPIs it moves.
CREATE TABLE IF NOT EXISTS actions (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    number INTEGER,  -- 1..n per company in priority order; what people see and type
    tactic TEXT NOT NULL,
    title TEXT NOT NULL,
    dimension TEXT,
    sales_owner TEXT,
    marketing_owner TEXT,
    due TEXT,
    kpi TEXT,
    baseline REAL,
    target REAL,
    priority REAL,
    status TEXT NOT NULL DEFAULT 'planned'
        CHECK (status IN ('planned', 'in_progress', 'done', 'dropped')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS action_updates (
    id INTEGER PRIMARY KEY,
    action_id INTEGER NOT NULL REFERENCES actions(id) ON DELETE CASCADE,
    updated_on TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('planned', 'in_progress', 'done', 'dropped')),
    progress REAL CHECK (progress IS NULL OR (progress >= 0 AND progress <= 1)),
    note TEXT
);
CREATE TABLE IF NOT EXISTS kpi_observations (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    kpi TEXT NOT NULL,
    observed_on TEXT NOT NULL,
    value REAL NOT NULL,
    target REAL,
    UNIQUE (company_id, kpi, observed_on)
);

-- Engagement settings: one value per company and key (revenue goal, currency, SLA terms …).
CREATE TABLE IF NOT EXISTS engagement_settings (
    company_id INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (company_id, key)
);
