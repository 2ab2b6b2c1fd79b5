-- Errors: each SQLSTATE a client can act on, and that a failing statement changes nothing
-- (no partial multi-row INSERT/UPDATE/DELETE), while the session stays usable afterwards.

CREATE TABLE err (id int PRIMARY KEY, name varchar(8) NOT NULL UNIQUE, n int CHECK (n >= 0), d numeric(4,2)); -- cairn: DISTRIBUTED BY (id)
INSERT INTO err VALUES (1, 'one', 1, 1.00), (2, 'two', 2, 2.00), (3, 'three', 3, 3.00);

-- 42601 syntax_error
SELEC * FROM err; -- error 42601
SELECT * FROM err WHERE; -- error 42601
SELECT * FORM err; -- error 42601
INSERT INTO err VALUES (4, 'four', 4, 4.00; -- error 42601
CREATE TABLE (id int); -- error 42601
SELECT 'a' 'b'; -- error 42601
SELECT 1 2; -- error 42601
UPDATE err SET WHERE id = 1; -- error 42601
SELECT * FROM err ORDER BY; -- error 42601
DELETE err WHERE id = 1; -- error 42601

-- 42P01 undefined_table
SELECT * FROM missing; -- error 42P01
SELECT missing.id FROM err; -- error 42P01
INSERT INTO missing VALUES (1); -- error 42P01
UPDATE missing SET x = 1; -- error 42P01
DELETE FROM missing; -- error 42P01
SELECT * FROM err JOIN missing ON true; -- error 42P01
SELECT (SELECT 1 FROM missing); -- error 42P01

-- 42703 undefined_column
SELECT missing FROM err; -- error 42703
SELECT err.missing FROM err; -- error 42703
SELECT * FROM err WHERE missing = 1; -- error 42703
SELECT * FROM err ORDER BY missing; -- error 42703
INSERT INTO err (id, missing) VALUES (9, 1); -- error 42703
UPDATE err SET missing = 1; -- error 42703
SELECT "ID" FROM err; -- error 42703
SELECT id FROM err GROUP BY missing; -- error 42703

-- 42883 undefined_function (and operators)
SELECT missing_fn(1); -- error 42883
SELECT upper(1); -- error 42883
SELECT abs('x'::text); -- error 42883
SELECT id FROM err WHERE name > 1; -- error 42883
SELECT name + 1 FROM err; -- error 42883
SELECT now(1); -- error 42883
SELECT sqrt('a'::text); -- error 42883

-- 23505 unique_violation, 23502 not_null_violation, 23514 check_violation
INSERT INTO err VALUES (1, 'uno', 1, 1); -- error 23505
INSERT INTO err VALUES (4, 'one', 1, 1); -- error 23505
INSERT INTO err VALUES (4, NULL, 1, 1); -- error 23502
INSERT INTO err (id, n) VALUES (4, 1); -- error 23502
INSERT INTO err VALUES (4, 'four', -1, 1); -- error 23514
UPDATE err SET n = n - 2; -- error 23514
UPDATE err SET name = 'two' WHERE id = 3; -- error 23505
UPDATE err SET name = NULL WHERE id = 3; -- error 23502
SELECT id, name, n FROM err ORDER BY id;

-- 22012 division_by_zero, 22003 numeric_value_out_of_range
SELECT 1 / 0; -- error 22012
SELECT 1 % 0; -- error 22012
SELECT 1.5 / 0; -- error 22012
SELECT 1 / 0.0; -- error 22012
SELECT n / (n - n) FROM err; -- error 22012
UPDATE err SET n = 10 / (n - 2) + 100; -- error 22012
SELECT id, n FROM err ORDER BY id;
SELECT 2147483647 + 1; -- error 22003
SELECT (-2147483647 - 1) * -1; -- error 22003
SELECT 32767::smallint * 2::smallint; -- error 22003
SELECT 10000000000::int; -- error 22003
SELECT 123.456::numeric(4,2); -- error 22003
INSERT INTO err VALUES (4, 'four', 4, 100); -- error 22003
UPDATE err SET d = d * 50; -- error 22003
SELECT id, d FROM err ORDER BY id;

-- 22P02 invalid_text_representation, 22001 string_data_right_truncation
SELECT 'x'::int; -- error 22P02
SELECT '1.5'::bigint; -- error 22P02
SELECT 'maybe'::boolean; -- error 22P02
SELECT '12abc'::numeric; -- error 22P02
INSERT INTO err VALUES ('four', 'four', 4, 4); -- error 22P02
SELECT * FROM err WHERE id = 'one'; -- error 22P02
INSERT INTO err VALUES (4, 'ninechars', 4, 4); -- error 22001
UPDATE err SET name = name || '-suffix' WHERE id = 3; -- error 22001
SELECT id, name FROM err ORDER BY id;

-- statement atomicity: the failing row is the last, nothing before it stays
INSERT INTO err VALUES (10, 'ten', 10, 1), (11, 'eleven', 11, 1), (12, 'ten', 12, 1); -- error 23505
INSERT INTO err VALUES (10, 'ten', 10, 1), (11, 'eleven', 11, 1), (12, 'twelve', -12, 1); -- error 23514
INSERT INTO err SELECT id + 20, name || 'x', n, 1 / (3 - id) FROM err ORDER BY id; -- error 22012
SELECT count(*) FROM err;
DELETE FROM err WHERE 1 / (id - 3) > 0 OR id = 3; -- error 22012
SELECT count(*) FROM err;

-- 25P02 in_failed_sql_transaction
BEGIN;
SELECT 1 / 0; -- error 22012
SELECT * FROM err; -- error 25P02
INSERT INTO err VALUES (5, 'five', 5, 5); -- error 25P02
COMMIT;
BEGIN;
INSERT INTO err VALUES (5, 'five', 5, 5);
INSERT INTO err VALUES (5, 'five', 5, 5); -- error 23505
SELECT count(*) FROM err; -- error 25P02
ROLLBACK;
SELECT count(*), max(id) FROM err;
SELECT 'session still works' AS ok;
