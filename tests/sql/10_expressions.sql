-- Expressions: CASE (simple and searched), CAST and ::, NULL semantics everywhere (comparison,
-- arithmetic, IN, BETWEEN, IS [NOT] DISTINCT FROM, COALESCE/NULLIF/GREATEST/LEAST), operator
-- precedence, column naming of unnamed expressions, typed literals, implicit coercions.

CREATE TABLE ex (id int PRIMARY KEY, a int, b int, s text, f double precision, n numeric(6,2));
INSERT INTO ex VALUES
    (1, 1, 2, 'one', 1.5, 1.25),
    (2, NULL, 5, 'two', NULL, 2.50),
    (3, 3, NULL, NULL, -0.5, NULL),
    (4, -4, -4, '', 0, 0),
    (5, 0, 10, 'five', 100, -3.75);

SELECT id, CASE WHEN a > 0 THEN 'pos' WHEN a < 0 THEN 'neg' WHEN a = 0 THEN 'zero' ELSE 'null' END FROM ex ORDER BY id;
SELECT id, CASE a WHEN 1 THEN 'one' WHEN 3 THEN 'three' ELSE 'other' END AS name FROM ex ORDER BY id;
SELECT id, CASE WHEN a IS NULL THEN b END, CASE b WHEN NULL THEN 'never' ELSE 'else' END FROM ex ORDER BY id;
SELECT id, CASE WHEN b > 3 THEN b * 10 ELSE a END AS mixed FROM ex ORDER BY id;
SELECT id, CASE WHEN a = 0 THEN 0 ELSE b / a END FROM ex ORDER BY id;
SELECT CASE WHEN true THEN 1 ELSE 1 / 0 END, CASE WHEN false THEN 1 / 0 ELSE 2 END;
SELECT CASE WHEN 1 = 1 THEN 1 ELSE 2.5 END, CASE WHEN 1 = 0 THEN 'x' END, CASE 1 WHEN 2 THEN 'a' END IS NULL;
SELECT CASE WHEN 1 = 1 THEN 'a' ELSE 1 END; -- error 22P02
SELECT CASE WHEN 1 = 1 THEN true ELSE 1 END; -- error 42804

SELECT id, a + b, a - b, a * b, a = b, a <> b, a < b, a >= b FROM ex ORDER BY id;
SELECT id, a IS NULL, a IS NOT NULL, a IS DISTINCT FROM b, a IS NOT DISTINCT FROM b FROM ex ORDER BY id;
SELECT id, coalesce(a, b, -1), coalesce(s, 'none'), nullif(a, b), nullif(s, ''), greatest(a, b), least(a, b) FROM ex ORDER BY id;
SELECT NULL = NULL, NULL <> NULL, NULL IS NULL, NULL IS DISTINCT FROM NULL, 1 IS DISTINCT FROM NULL, NULL::int + 1;
SELECT 1 IN (1, NULL), 2 IN (1, NULL), 2 NOT IN (1, NULL), NULL IN (1, 2), 1 NOT IN (2, 3);
SELECT NULL BETWEEN 1 AND 2, 1 BETWEEN NULL AND 2, 3 BETWEEN 1 AND NULL, 2 BETWEEN 3 AND 1, 2 BETWEEN SYMMETRIC 3 AND 1;
SELECT id FROM ex WHERE a = NULL;
SELECT id FROM ex WHERE a <> 1 ORDER BY id;
SELECT id FROM ex WHERE NOT (a <> 1) ORDER BY id;
SELECT id FROM ex WHERE a IN (1, 3, NULL) ORDER BY id;
SELECT id FROM ex WHERE a NOT IN (1, 3) ORDER BY id;
SELECT id FROM ex WHERE a NOT IN (1, NULL) ORDER BY id;
SELECT id FROM ex WHERE a BETWEEN -4 AND 1 ORDER BY id;
SELECT id FROM ex WHERE a NOT BETWEEN 0 AND 1 ORDER BY id;
SELECT id FROM ex WHERE (a > 0) IS NOT TRUE ORDER BY id;
SELECT id FROM ex WHERE s IS NULL OR s = '' ORDER BY id;
SELECT id FROM ex WHERE coalesce(a, 0) + coalesce(b, 0) > 3 ORDER BY id;
SELECT greatest(1, NULL, 3), least(NULL, 2), greatest(NULL::int, NULL), coalesce(NULL, NULL, 'x'), nullif(1, 1), nullif('a', 'b');
SELECT coalesce(1, 1 / 0), coalesce(NULL, 2, 1 / 0);

SELECT CAST(1.9 AS int), CAST('42' AS bigint), CAST(42 AS text), CAST('1.50' AS numeric(5,1)), CAST(7 AS double precision);
SELECT '123'::int + 1, 1::text || '2', '2024-05-06'::date + 1, 'true'::boolean AND true, '1.5'::float8 * 2;
SELECT CAST(n AS int), CAST(f AS numeric(6,1)), CAST(a AS text), s::varchar(2), CAST(b AS smallint) FROM ex ORDER BY id;
SELECT CAST(NULL AS int), NULL::text, CAST(NULL AS date) IS NULL;
SELECT CAST('x' AS int); -- error 22P02
SELECT CAST(100000 AS smallint); -- error 22003
SELECT CAST('2024-02-30' AS date); -- error 22008
SELECT CAST(1 AS date); -- error 42846
SELECT CAST('abc' AS nosuchtype); -- error 42704
SELECT int '42', text 'abc', numeric '1.50', bigint '9000000000', float8 '1e3', date '2024-01-02', boolean 'yes';
SELECT 1 + '2', '3' + 4, '5' * '6'::int;
SELECT 1 + 'a'; -- error 22P02
SELECT 'a' + 'b'; -- error 42725
SELECT 1 = 'a'; -- error 22P02
SELECT s + 1 FROM ex; -- error 42883
SELECT s = 1 FROM ex; -- error 42883
SELECT a || b FROM ex; -- error 42883
SELECT a || s, s || a, a::text || b::text FROM ex ORDER BY id;
SELECT f + n, n * a, a / nullif(n, 0), b % 3, -n, +a, abs(n - 10) FROM ex ORDER BY id;
SELECT 2 + 3 * 4 - 1, (2 + 3) * (4 - 1), 10 - 2 - 3, 2 * 3 % 4, -2 ^ 2, (-2) ^ 2, 2 ^ 3 ^ 2;
SELECT NOT true AND false, NOT (true AND false), true OR false AND false, (true OR false) AND false;
SELECT (1 < 2) = true, 'a' || 'b' = 'ab', 3 BETWEEN 1 AND 5 AND true, (1 IS NULL) = false;
SELECT 1 < 2 = true; -- error 42601
SELECT f + n, a / n FROM ex ORDER BY id; -- error 22012
SELECT 1, 'two', 3.0, NULL, true, 1 + 1;
SELECT a, b AS bee, a + b, a + b AS total, count(*) OVER () AS cnt, s AS "Quoted Alias", ex.id FROM ex ORDER BY id;
SELECT id AS "ID", id AS id2, upper(s), s::text, CAST(s AS text), (s), -a, a IS NULL, EXISTS (SELECT 1), (SELECT 1) FROM ex WHERE id = 1;
SELECT abs(-1), length('x'), coalesce(NULL, 1), greatest(1, 2), now() IS NOT NULL, current_date IS NOT NULL, CASE WHEN true THEN 1 END;
SELECT ex.* FROM ex WHERE id = 2;
SELECT e.id, e.s FROM ex AS e WHERE e.id = 3;
SELECT e.id FROM ex e WHERE ex.id = 3; -- error 42P01
SELECT nope FROM ex; -- error 42703
SELECT ex.nope FROM ex; -- error 42703
SELECT nofunc(1); -- error 42883
SELECT length(1); -- error 42883
SELECT substr('abc'); -- error 42883
SELECT 1 +; -- error 42601
SELECT FROM WHERE; -- error 42601
SELECT 'unterminated' || ; -- error 42601
SELECT (1, 2) = (1, 2), (1, 2) < (1, 3), (1, NULL) = (1, 2), ROW(1, 'a') = ROW(1, 'a');
SELECT id FROM ex WHERE (a, b) = (1, 2);
SELECT id FROM ex WHERE (a, b) IN ((1, 2), (-4, -4)) ORDER BY id;
SELECT id FROM ex WHERE (a, b) > (0, 0) ORDER BY id;
