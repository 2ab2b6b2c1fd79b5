-- DDL: CREATE/DROP TABLE [IF EXISTS] (several at once), TRUNCATE, ALTER TABLE ADD/DROP COLUMN,
-- ADD PRIMARY KEY, CREATE/DROP [UNIQUE] INDEX, and the errors around them.

CREATE TABLE d1 (id int PRIMARY KEY, v text);
CREATE TABLE d2 (id int PRIMARY KEY);
CREATE TABLE d3 (x int);
CREATE TABLE d1 (id int); -- error 42P07
CREATE TABLE IF NOT EXISTS d1 (id int);
CREATE TABLE d4 (id int PRIMARY KEY, id text); -- error 42701
CREATE TABLE d4 (a int PRIMARY KEY, b int PRIMARY KEY); -- error 42P16
CREATE TABLE d4 (a nosuchtype); -- error 42704
CREATE TABLE d4 (a int, PRIMARY KEY (nope)); -- error 42703
CREATE TABLE "Mixed Case" ("Col A" int PRIMARY KEY, "select" text);
INSERT INTO "Mixed Case" VALUES (1, 'kw');
SELECT "Col A", "select" FROM "Mixed Case";
SELECT * FROM "Mixed Case";
SELECT col_a FROM "Mixed Case"; -- error 42703
SELECT * FROM mixed_case; -- error 42P01
CREATE TABLE UpperName (Id int PRIMARY KEY, VALUE text);
INSERT INTO uppername (id, value) VALUES (1, 'folded');
SELECT ID, Value FROM UPPERNAME;
SELECT * FROM "UpperName"; -- error 42P01

INSERT INTO d1 VALUES (1, 'a'), (2, 'b'), (3, 'c');
INSERT INTO d2 VALUES (1), (2);
INSERT INTO d3 VALUES (10), (20);
TRUNCATE d1;
SELECT count(*) FROM d1;
TRUNCATE TABLE d2, d3;
SELECT (SELECT count(*) FROM d2) AS d2, (SELECT count(*) FROM d3) AS d3;
TRUNCATE nosuch; -- error 42P01
INSERT INTO d1 VALUES (1, 'again');
SELECT * FROM d1;

DROP TABLE d2, d3;
SELECT * FROM d2; -- error 42P01
DROP TABLE d2; -- error 42P01
DROP TABLE IF EXISTS d2;
DROP TABLE IF EXISTS d2, d3;
DROP TABLE IF EXISTS nosuch1, d1, nosuch2;
SELECT * FROM d1; -- error 42P01
DROP TABLE "Mixed Case", uppername;
CREATE TABLE d1 (id int PRIMARY KEY, v text);
SELECT count(*) FROM d1;

CREATE TABLE alt (id int PRIMARY KEY, a text);
INSERT INTO alt VALUES (1, 'one'), (2, 'two');
ALTER TABLE alt ADD COLUMN b int;
SELECT * FROM alt ORDER BY id;
ALTER TABLE alt ADD COLUMN c text NOT NULL DEFAULT 'dflt';
ALTER TABLE alt ADD COLUMN d numeric(5,2) DEFAULT 1.5;
ALTER TABLE alt ADD e boolean;
SELECT * FROM alt ORDER BY id;
INSERT INTO alt (id, a) VALUES (3, 'three');
INSERT INTO alt VALUES (4, 'four', 4, 'c', 4.25, true);
SELECT * FROM alt ORDER BY id;
ALTER TABLE alt ADD COLUMN b int; -- error 42701
ALTER TABLE alt ADD COLUMN IF NOT EXISTS b int;
ALTER TABLE alt ADD COLUMN typeless nosuchtype; -- error 42704
ALTER TABLE alt ADD COLUMN f int NOT NULL; -- error 23502
ALTER TABLE alt ADD COLUMN g int CHECK (g > 0);
INSERT INTO alt (id, g) VALUES (5, 0); -- error 23514
ALTER TABLE alt DROP COLUMN a;
SELECT * FROM alt ORDER BY id;
SELECT a FROM alt; -- error 42703
ALTER TABLE alt DROP COLUMN a; -- error 42703
ALTER TABLE alt DROP COLUMN IF EXISTS a;
ALTER TABLE alt DROP COLUMN b, DROP COLUMN e;
SELECT * FROM alt ORDER BY id;
ALTER TABLE alt ADD COLUMN a text;
UPDATE alt SET a = 'new-' || id;
SELECT id, a, c FROM alt ORDER BY id;
ALTER TABLE nosuch ADD COLUMN x int; -- error 42P01
ALTER TABLE alt RENAME COLUMN c TO cc;
SELECT id, cc FROM alt ORDER BY id;
-- a DEFAULT set or dropped holds for every way a row comes in: VALUES, DEFAULT VALUES,
-- INSERT ... SELECT, ON CONFLICT, DEFAULT in VALUES and in UPDATE
ALTER TABLE alt ALTER COLUMN cc DROP DEFAULT;
ALTER TABLE alt ALTER COLUMN d SET DEFAULT 2.5, ALTER COLUMN a SET DEFAULT 'a-' || 'b';
INSERT INTO alt (id) VALUES (10); -- error 23502
INSERT INTO alt (id, cc) VALUES (10, 'x'), (11, 'y');
INSERT INTO alt (id, cc) SELECT 12, 'z';
INSERT INTO alt (id, cc) VALUES (10, 'again') ON CONFLICT (id) DO NOTHING;
INSERT INTO alt (id, cc, d) VALUES (13, 'w', DEFAULT);
UPDATE alt SET a = DEFAULT WHERE id = 1;
SELECT id, cc, d, a FROM alt ORDER BY id;
ALTER TABLE alt ALTER COLUMN nosuch SET DEFAULT 1; -- error 42703
ALTER TABLE alt ALTER COLUMN d DROP DEFAULT;
INSERT INTO alt (id, cc) VALUES (14, 'v');
SELECT id, d FROM alt WHERE id = 14;
ALTER TABLE alt ALTER COLUMN d SET DEFAULT 7, ALTER COLUMN cc SET DEFAULT 'k';
SELECT column_name::text, column_default::text FROM information_schema.columns
WHERE table_name = 'alt' AND column_default IS NOT NULL AND column_name <> 'a' ORDER BY 1;
ALTER TABLE alt RENAME TO alt2;
SELECT count(*) FROM alt2;
SELECT count(*) FROM alt; -- error 42P01

CREATE TABLE nokey (k int, v text);
INSERT INTO nokey VALUES (1, 'a'), (2, 'b'), (2, 'dup');
ALTER TABLE nokey ADD PRIMARY KEY (k); -- error 23505
DELETE FROM nokey WHERE v = 'dup';
ALTER TABLE nokey ADD PRIMARY KEY (k);
INSERT INTO nokey VALUES (2, 'again'); -- error 23505
INSERT INTO nokey VALUES (NULL, 'null key'); -- error 23502
ALTER TABLE nokey ADD PRIMARY KEY (v); -- error 42P16
INSERT INTO nokey VALUES (3, 'c');
SELECT * FROM nokey ORDER BY k;
CREATE TABLE nokey2 (k int, v text);
INSERT INTO nokey2 VALUES (NULL, 'x');
ALTER TABLE nokey2 ADD PRIMARY KEY (k); -- error 23502
ALTER TABLE nokey2 ADD CONSTRAINT nokey2_pk PRIMARY KEY (v);
INSERT INTO nokey2 VALUES (1, 'x'); -- error 23505

CREATE TABLE idx (id int PRIMARY KEY, a int, b text, c int);
INSERT INTO idx VALUES (1, 10, 'x', 1), (2, 20, 'y', 2), (3, 10, 'z', 3), (4, NULL, NULL, 4);
CREATE INDEX idx_a ON idx (a);
CREATE INDEX idx_a ON idx (b); -- error 42P07
CREATE INDEX IF NOT EXISTS idx_a ON idx (b);
CREATE INDEX idx_ab ON idx (a, b DESC);
CREATE INDEX ON idx (c);
CREATE INDEX idx_bad ON idx (nope); -- error 42703
CREATE INDEX idx_bad ON nosuch (a); -- error 42P01
SELECT id FROM idx WHERE a = 10 ORDER BY id;
SELECT id, b FROM idx WHERE a = 10 AND b > 'x' ORDER BY id;
CREATE UNIQUE INDEX idx_b_unique ON idx (b);
INSERT INTO idx VALUES (5, 30, 'x', 5); -- error 23505
INSERT INTO idx VALUES (5, 30, NULL, 5);
CREATE UNIQUE INDEX idx_a_unique ON idx (a); -- error 23505
DROP INDEX idx_a;
DROP INDEX idx_a; -- error 42704
DROP INDEX IF EXISTS idx_a;
DROP INDEX idx_ab, idx_b_unique;
INSERT INTO idx VALUES (6, 30, 'x', 6);
SELECT id, a, b FROM idx ORDER BY id;
DROP TABLE idx;
CREATE TABLE idx (id int PRIMARY KEY);
CREATE INDEX idx_a ON idx (id);

-- ALTER COLUMN SET / DROP NOT NULL, ADD CONSTRAINT ... CHECK, DROP CONSTRAINT: the rows there are
-- asked first, in PostgreSQL's words; a constraint made with the table stays (SQLite cannot
-- alter a table's columns or constraints).
CREATE TABLE cons (id int PRIMARY KEY, a int, b text NOT NULL, c int);
INSERT INTO cons VALUES (1, 5, 'x', 1), (2, NULL, 'yyyyyy', 2);
ALTER TABLE cons ALTER COLUMN a SET NOT NULL; -- error 23502
ALTER TABLE cons ALTER COLUMN nope SET NOT NULL; -- error 42703
ALTER TABLE cons ADD CHECK (length(b) < 5); -- error 23514
UPDATE cons SET a = 1, b = 'y' WHERE id = 2;
ALTER TABLE cons ALTER COLUMN a SET NOT NULL, ADD CHECK (length(b) < 5);
ALTER TABLE cons ALTER COLUMN a SET NOT NULL;
INSERT INTO cons VALUES (3, NULL, 'z', 3); -- error 23502
INSERT INTO cons VALUES (3, 3, 'toolong', 3); -- error 23514
ALTER TABLE cons ADD CONSTRAINT c_small CHECK (c < 10);
ALTER TABLE cons ADD CHECK (c > -100), ADD CHECK (c <> 7), ADD CONSTRAINT c_odd CHECK (c <> 9);
INSERT INTO cons VALUES (3, 3, 'z', 7); -- error 23514
ALTER TABLE cons DROP CONSTRAINT cons_c_check, DROP CONSTRAINT cons_c_check1, DROP CONSTRAINT c_odd;
ALTER TABLE cons ADD CONSTRAINT c_small CHECK (c < 20); -- error 42710
INSERT INTO cons VALUES (3, 3, 'z', 30); -- error 23514
INSERT INTO cons VALUES (3, 3, 'z', NULL);
UPDATE cons SET c = 11 WHERE id = 1; -- error 23514
SELECT conname::text, pg_get_constraintdef(oid, true) FROM pg_constraint WHERE conrelid = 'cons'::regclass AND contype = 'c' ORDER BY conname;
SELECT attname::text, attnotnull FROM pg_attribute WHERE attrelid = 'cons'::regclass AND attnum > 0 ORDER BY attnum;
ALTER TABLE cons DROP CONSTRAINT c_small;
UPDATE cons SET c = 11 WHERE id = 1;
ALTER TABLE cons DROP CONSTRAINT c_small; -- error 42704
ALTER TABLE cons DROP CONSTRAINT IF EXISTS c_small;
ALTER TABLE cons ALTER COLUMN a DROP NOT NULL;
INSERT INTO cons VALUES (4, NULL, 'w', 4);
ALTER TABLE cons ALTER COLUMN id DROP NOT NULL; -- error 42P16
ALTER TABLE cons ADD CONSTRAINT cons_c_key UNIQUE (c);
INSERT INTO cons VALUES (5, 5, 'v', 4); -- error 23505
ALTER TABLE cons DROP CONSTRAINT cons_c_key;
INSERT INTO cons VALUES (5, 5, 'v', 4);
ALTER TABLE cons DROP COLUMN b;
INSERT INTO cons VALUES (6, 6, 7);
SELECT * FROM cons ORDER BY id;
DROP TABLE cons;

DROP TABLE alt2, nokey, nokey2, idx, d1;
DROP TABLE IF EXISTS alt2, nokey, nokey2, idx, d1;
