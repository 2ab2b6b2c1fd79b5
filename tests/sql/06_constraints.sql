-- PRIMARY KEY, NOT NULL, UNIQUE, DEFAULT, CHECK: what passes, what fails with which SQLSTATE,
-- and that a failed statement changes nothing (statement atomicity, also for multi-row INSERT).

CREATE TABLE accounts (
    id bigint PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name varchar(20) NOT NULL DEFAULT 'anonymous',
    balance numeric(12,2) NOT NULL DEFAULT 0 CHECK (balance >= 0),
    age int CHECK (age BETWEEN 0 AND 150),
    status text DEFAULT 'new' CHECK (status IN ('new', 'active', 'closed')),
    created date DEFAULT DATE '2024-01-01',
    flag boolean DEFAULT true,
    score double precision DEFAULT 1.5 * 2
); -- cairn: DISTRIBUTED BY (id)

INSERT INTO accounts (id, email) VALUES (1, 'a@x');
INSERT INTO accounts (id, email, name, balance, age, status) VALUES (2, 'b@x', 'Bea', 10.50, 30, 'active');
INSERT INTO accounts VALUES (3, 'c@x', 'Cy', 0, NULL, NULL, NULL, NULL, NULL);
INSERT INTO accounts (id, email, name) VALUES (4, 'd@x', DEFAULT);
INSERT INTO accounts DEFAULT VALUES; -- error 23502
SELECT * FROM accounts ORDER BY id;

INSERT INTO accounts (id, email) VALUES (1, 'other@x'); -- error 23505
INSERT INTO accounts (id, email) VALUES (5, 'a@x'); -- error 23505
INSERT INTO accounts (id, email) VALUES (5, 'e@x'), (6, 'f@x'), (5, 'g@x'); -- error 23505
INSERT INTO accounts (id, email) VALUES (7, 'h@x'), (8, 'h@x'); -- error 23505
INSERT INTO accounts (id, email) VALUES (NULL, 'n@x'); -- error 23502
INSERT INTO accounts (id) VALUES (9); -- error 23502
INSERT INTO accounts (id, email, name) VALUES (9, 'i@x', NULL); -- error 23502
INSERT INTO accounts (id, email, balance) VALUES (9, 'i@x', -0.01); -- error 23514
INSERT INTO accounts (id, email, age) VALUES (9, 'i@x', 151); -- error 23514
INSERT INTO accounts (id, email, status) VALUES (9, 'i@x', 'weird'); -- error 23514
INSERT INTO accounts (id, email, balance) VALUES (9, 'i@x', 10000000000); -- error 22003
INSERT INTO accounts (id, email, name) VALUES (9, 'i@x', 'a name that is far too long'); -- error 22001
SELECT count(*), max(id) FROM accounts;
SELECT id FROM accounts WHERE id >= 5 ORDER BY id;

UPDATE accounts SET email = 'b@x' WHERE id = 1; -- error 23505
UPDATE accounts SET id = 2 WHERE id = 1; -- error 23505
UPDATE accounts SET balance = balance - 20 WHERE id = 2; -- error 23514
UPDATE accounts SET name = NULL WHERE id = 3; -- error 23502
UPDATE accounts SET age = -1; -- error 23514
UPDATE accounts SET balance = balance + 1;
SELECT id, balance, age FROM accounts ORDER BY id;
UPDATE accounts SET id = id + 10;
SELECT id, email FROM accounts ORDER BY id;
UPDATE accounts SET email = 'z' || email WHERE id > 11;
SELECT id, email FROM accounts ORDER BY id;
DELETE FROM accounts WHERE id = 11;
INSERT INTO accounts (id, email) VALUES (11, 'a@x');
SELECT id, email, name, balance, status FROM accounts ORDER BY id;

CREATE TABLE pairs (
    a int NOT NULL,
    b text NOT NULL,
    c int,
    PRIMARY KEY (a, b),
    UNIQUE (c),
    CONSTRAINT c_small CHECK (c < 100),
    CHECK (length(b) > 0)
); -- cairn: DISTRIBUTED BY (a)
INSERT INTO pairs VALUES (1, 'x', 1), (1, 'y', 2), (2, 'x', NULL), (3, 'x', NULL);
INSERT INTO pairs VALUES (1, 'x', 3); -- error 23505
INSERT INTO pairs VALUES (1, 'z', 1); -- error 23505
INSERT INTO pairs VALUES (4, '', 4); -- error 23514
INSERT INTO pairs VALUES (4, 'w', 100); -- error 23514
INSERT INTO pairs VALUES (4, 'w', NULL), (5, 'w', 99);
SELECT * FROM pairs ORDER BY a, b;
SELECT count(*) FROM pairs WHERE c IS NULL;

CREATE TABLE defaults (
    id int PRIMARY KEY,
    t text DEFAULT 'it''s',
    n numeric(6,2) DEFAULT 1.005,
    i bigint DEFAULT -9223372036854775808,
    e text DEFAULT '',
    x int DEFAULT NULL,
    expr int DEFAULT (2 + 3) * 4,
    b bytea DEFAULT '\x0102'
);
INSERT INTO defaults (id) VALUES (1);
INSERT INTO defaults (id, t, e) VALUES (2, NULL, DEFAULT);
INSERT INTO defaults VALUES (3, DEFAULT, DEFAULT, DEFAULT, DEFAULT, DEFAULT, DEFAULT, DEFAULT);
SELECT * FROM defaults ORDER BY id;
UPDATE defaults SET t = DEFAULT, x = 5 WHERE id = 2;
SELECT id, t, x FROM defaults ORDER BY id;

CREATE TABLE uniq_nulls (id int PRIMARY KEY, u int UNIQUE, v text);
INSERT INTO uniq_nulls VALUES (1, NULL, 'a'), (2, NULL, 'b'), (3, 7, 'c');
INSERT INTO uniq_nulls VALUES (4, 7, 'd'); -- error 23505
SELECT id, u, v FROM uniq_nulls ORDER BY id;

CREATE TABLE textpk (k text PRIMARY KEY, v int);
INSERT INTO textpk VALUES ('a', 1), ('A', 2), ('a ', 3), ('', 4), ('ä', 5);
INSERT INTO textpk VALUES ('a', 6); -- error 23505
INSERT INTO textpk VALUES (NULL, 6); -- error 23502
SELECT k, v FROM textpk ORDER BY k;
SELECT v FROM textpk WHERE k = 'a ';

CREATE TABLE nopk (a int, b text);
INSERT INTO nopk VALUES (1, 'x'), (1, 'x'), (NULL, NULL);
SELECT a, b, count(*) FROM nopk GROUP BY a, b ORDER BY a NULLS LAST;

-- What the catalogs say of the constraints (psql's \d reads them): the CHECKs under the names
-- PostgreSQL gives them, and the DEFAULTs as pg_get_expr shows them.
SELECT conname::text, contype::text FROM pg_constraint WHERE conrelid = 'pairs'::regclass ORDER BY conname;
SELECT conname::text FROM pg_constraint WHERE conrelid = 'accounts'::regclass AND contype = 'c' ORDER BY 1;
SELECT column_name::text, column_default::text FROM information_schema.columns
WHERE table_name = 'accounts' AND column_name IN ('name', 'balance', 'status', 'created', 'flag')
ORDER BY ordinal_position;
SELECT column_name::text, column_default::text FROM information_schema.columns
WHERE table_name = 'defaults' AND column_name IN ('t', 'i', 'e', 'b') ORDER BY ordinal_position;
SELECT pg_get_constraintdef(oid, true) FROM pg_constraint WHERE conname = 'c_small';
