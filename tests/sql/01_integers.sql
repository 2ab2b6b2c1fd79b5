-- Integer types: smallint/integer/bigint at their limits, literal typing, overflow (22003),
-- bad input (22P02), integer division and modulo.

CREATE TABLE ints (
    id int PRIMARY KEY,
    i2 smallint,
    i4 integer,
    i8 bigint,
    i INT
); -- cairn: DISTRIBUTED BY (id)

INSERT INTO ints VALUES
    (1, 0, 0, 0, 0),
    (2, 32767, 2147483647, 9223372036854775807, 1),
    (3, -32768, -2147483648, -9223372036854775808, -1),
    (4, NULL, NULL, NULL, NULL);

SELECT * FROM ints ORDER BY id;
SELECT id, i8, i4, i2 FROM ints WHERE i8 > 0 OR i8 < 0 ORDER BY i8;
SELECT i8 - 1, -i8, i8 / 2, i8 % 10 FROM ints WHERE id = 2;
SELECT i8 + 1, i8 - 1, i8 / -1 FROM ints WHERE id = 3; -- error 22003
SELECT i8 + 1 FROM ints WHERE id = 2; -- error 22003
SELECT -i8 FROM ints WHERE id = 3; -- error 22003
SELECT i8 * 2 FROM ints WHERE id = 2; -- error 22003
SELECT i8 / -1 FROM ints WHERE id = 3; -- error 22003
SELECT i4 + 1 FROM ints WHERE id = 2; -- error 22003
SELECT i4 - 1 FROM ints WHERE id = 3; -- error 22003
SELECT i4::bigint + 1, i4 + 1::bigint FROM ints WHERE id = 2;
SELECT i2 + i2 FROM ints WHERE id = 2; -- error 22003
SELECT i2 + 1, i2 * 2 FROM ints WHERE id = 2;
SELECT i2 * i4 FROM ints WHERE id = 2; -- error 22003
SELECT i2::bigint * i4 FROM ints WHERE id = 2;
SELECT abs(i4) FROM ints WHERE id = 3; -- error 22003
SELECT abs(i8) FROM ints WHERE id = 2;
SELECT sum(i8) FROM ints;
SELECT sum(i4), sum(i2), count(i8) FROM ints;

INSERT INTO ints (id, i2) VALUES (10, 32768); -- error 22003
INSERT INTO ints (id, i2) VALUES (10, -32769); -- error 22003
INSERT INTO ints (id, i4) VALUES (10, 2147483648); -- error 22003
INSERT INTO ints (id, i8) VALUES (10, 9223372036854775808); -- error 22003
INSERT INTO ints (id, i8) VALUES (10, -9223372036854775809); -- error 22003
INSERT INTO ints (id, i4) VALUES (10, '12');
INSERT INTO ints (id, i4) VALUES (11, ' -7 ');
INSERT INTO ints (id, i4) VALUES (12, '12.5'); -- error 22P02
INSERT INTO ints (id, i4) VALUES (12, 'twelve'); -- error 22P02
INSERT INTO ints (id, i4) VALUES (12, ''); -- error 22P02
INSERT INTO ints (id, i4, i8) VALUES (12, 12.5, 2.5);
INSERT INTO ints (id, i4, i8) VALUES (13, 12.4, -2.5);
INSERT INTO ints (id, i4, i2) VALUES (14, 1e3, 7.0);
SELECT id, i2, i4, i8 FROM ints WHERE id >= 10 ORDER BY id;

SELECT '9223372036854775807'::bigint, '-9223372036854775808'::bigint;
SELECT '9223372036854775808'::bigint; -- error 22003
SELECT '32767'::smallint, '-32768'::int2, '2147483647'::int4, '-2147483648'::integer;
SELECT '  42  '::int, '+7'::int, '-0'::int, '007'::bigint;
SELECT 'abc'::int; -- error 22P02
SELECT '4 2'::int; -- error 22P02
SELECT '0x1F'::int; -- error 22P02
SELECT 2147483647, 2147483648, -2147483648, 9223372036854775807, 9223372036854775808;
SELECT -2147483648::int; -- error 22003
SELECT (-2147483648)::int, (-9223372036854775808)::bigint;
SELECT 1 + 1, 3 - 5, 6 * 7, 7 / 2, -7 / 2, 7 / -2, 7 % 3, -7 % 3, 7 % -3;
SELECT 2 + 3 * 4, (2 + 3) * 4, 2 - 3 - 4, 100 / 10 / 5, -2 * -3;
SELECT 5 / 0; -- error 22012
SELECT 5 % 0; -- error 22012
SELECT 9223372036854775807 + 1; -- error 22003
SELECT 9223372036854775807 * 2; -- error 22003
SELECT 4611686018427387904 * 2; -- error 22003
SELECT 4611686018427387903 * 2, -4611686018427387904 * 2;
SELECT 32767::smallint + 1::smallint; -- error 22003
SELECT 1::smallint + 1, 1::smallint + 1::bigint, 1::int + 1.5;
SELECT 10 / 3 * 3, 10 * 3 / 3, 10 % 3 * 3;
SELECT 2 ^ 10, 2.0 ^ 0.5;
SELECT |/ 16, @ -5;
SELECT 5 & 3, 5 | 3, 5 # 3, ~5, 1 << 4, 256 >> 2;
SELECT CAST(i4 AS bigint), CAST(i8 AS text), i2::text FROM ints WHERE id = 3;
SELECT CAST(i8 AS int) FROM ints WHERE id = 2; -- error 22003
SELECT CAST(i4 AS smallint) FROM ints WHERE id = 3; -- error 22003
SELECT i4::smallint FROM ints WHERE id = 11;
SELECT id FROM ints WHERE i4 = 12 AND i8 = 3 ORDER BY id;
SELECT id FROM ints WHERE i8 = 9223372036854775807;
SELECT id FROM ints WHERE i8 = -9223372036854775808;
SELECT id FROM ints WHERE i4 < i8 ORDER BY id;
SELECT id FROM ints WHERE i4 = '12' ORDER BY id;
SELECT id FROM ints WHERE i4 = 12.0 ORDER BY id;
SELECT id FROM ints WHERE i4 IN (0, 12, -7) ORDER BY id;
SELECT id FROM ints WHERE i4 BETWEEN -10 AND 100 ORDER BY id;
SELECT max(i8), min(i8), max(i2), min(i2), max(i4) FROM ints;
SELECT id, i8 FROM ints ORDER BY i8 DESC NULLS LAST, id;
SELECT greatest(1, 2, 3), least(1, 2, 3), greatest(i4, i2) FROM ints WHERE id = 2;
SELECT mod(-7, 3), mod(7, -3), div(-7, 2), abs(-3), sign(-3), sign(0);
SELECT gcd(12, 18), lcm(4, 6), factorial(20);
SELECT factorial(21);
