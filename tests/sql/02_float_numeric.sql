-- REAL / DOUBLE PRECISION (shortest round-trip output, specials, float4 precision) and
-- NUMERIC(p,s) (exact decimals with many digits, scale rounding, division scale, overflow).

CREATE TABLE floats (id int PRIMARY KEY, r real, d double precision);
INSERT INTO floats VALUES
    (1, 1.5, 1.5),
    (2, 0.1, 0.1),
    (3, 1e20, 1e20),
    (4, 0, 0),
    (5, -2.25, -2.25),
    (6, 123456789012345678, 123456789012345678),
    (7, 1e-7, 1e-7),
    (8, 3.4e38, 1.7976931348623157e308),
    (9, NULL, NULL),
    (10, 100000, 1e15),
    (11, 0.0001, 0.0001),
    (12, 1234567.875, 123456789012345.6);
SELECT * FROM floats ORDER BY id;
SELECT id, d FROM floats ORDER BY d NULLS FIRST, id;
SELECT id, r::double precision FROM floats WHERE id IN (1, 2, 5) ORDER BY id;
SELECT d * 2, d / 4, d + 0.5, -d FROM floats WHERE id = 5;
SELECT min(r), max(r), min(d), max(d), count(d) FROM floats;
SELECT sum(d), avg(d), sum(r), avg(r) FROM floats WHERE id IN (1, 4, 5, 10);
SELECT '-0'::float8, '-0'::real, 0.0::float8, -0.0::float8;
SELECT 'Infinity'::float8, '-Infinity'::float8, 'NaN'::float8, 'inf'::real, 'nan'::real;
SELECT 'Infinity'::float8 > 1e308, 'NaN'::float8 = 'NaN'::float8, 'NaN'::float8 > 'Infinity'::float8;
SELECT 0.1::float8 + 0.2::float8, 0.1::real + 0.2::real, 1::float8 / 3, 1::real / 3;
SELECT 0.1::real::float8, 16777217::real, 16777217::float8;
SELECT 1e16::float8, 1e15::float8, 123456789012345::float8, 1e-4::float8, 1e-5::float8;
SELECT 2.5::float8::int, 3.5::float8::int, -2.5::float8::int, 2.5::real::int;
SELECT round(2.5::float8), round(3.5::float8), round(-0.5::float8), trunc(-2.7::float8);
SELECT 1e39::real; -- error 22003
SELECT 1e-50::real; -- error 22003
SELECT '1e400'::float8; -- error 22003
SELECT 'abc'::float8; -- error 22P02
SELECT ' 1.5 '::float8, '1E3'::float8, '.5'::float8, '5.'::float8, '-1.5e-3'::real;
SELECT 1::float8 / 0; -- error 22012
SELECT 1e308::float8 * 10; -- error 22003
SELECT sqrt(2::float8), sqrt(16), cbrt(27::float8), exp(1::float8), ln(10::float8), log(1000::float8);
SELECT sqrt(-1::float8); -- error 2201F
SELECT ln(0::float8); -- error 2201E
SELECT power(2::float8, 0.5::float8), power(2, 62), 10 ^ -2;
SELECT pi(), sin(0), cos(0), atan2(1, 1), degrees(pi()), radians(180);
SELECT floor(-1.5::float8), ceil(-1.5::float8), ceiling(1.2::float8), abs(-1.5::float8);
SELECT d::numeric FROM floats WHERE id IN (2, 5, 12) ORDER BY id;
SELECT d::text, r::text FROM floats WHERE id = 12;
SELECT id FROM floats WHERE d > 1 AND d < 1e16 ORDER BY id;
SELECT id FROM floats WHERE r = 0.1 ORDER BY id;
SELECT id FROM floats WHERE r = 0.1::real ORDER BY id;

CREATE TABLE nums (
    id int PRIMARY KEY,
    n numeric,
    n2 numeric(10,2),
    n0 numeric(5,0),
    big numeric(40,20)
);
INSERT INTO nums VALUES
    (1, 0, 0, 0, 0),
    (2, 123456789012345678901234567890.123456789, 12345678.91, 99999, 12345678901234567890.12345678901234567890),
    (3, -0.000000000000000000001, -0.005, -0.5, -1),
    (4, 1e10, 1.999, 0.4, 1.5e-5),
    (5, 1.50, 2.345, 1.5, 0.1),
    (6, NULL, NULL, NULL, NULL),
    (7, -99999999999999999999999999999999999999.99, -99999999.99, -99999, -99999999999999999999.99999999999999999999);
SELECT * FROM nums ORDER BY id;
SELECT id, n FROM nums ORDER BY n NULLS LAST, id;
SELECT id, n2 FROM nums ORDER BY n2 DESC NULLS FIRST, id;
INSERT INTO nums (id, n2) VALUES (20, 123456789.12); -- error 22003
INSERT INTO nums (id, n2) VALUES (20, 99999999.995); -- error 22003
INSERT INTO nums (id, n0) VALUES (20, 100000); -- error 22003
INSERT INTO nums (id, n0) VALUES (20, 99999.5); -- error 22003
INSERT INTO nums (id, n2) VALUES (20, '12.345'), (21, '-0.004'), (22, ' 7 ');
INSERT INTO nums (id, n2) VALUES (23, '1,5'); -- error 22P02
INSERT INTO nums (id, n) VALUES (24, 'NaN'), (25, '1.000000000000000000000000000000000000001');
SELECT id, n, n2 FROM nums WHERE id >= 20 ORDER BY id;
SELECT 1.10 + 2.205, 1.5 * 2.25, 10.00 - 0.001, 0.1 + 0.2, 0.1 + 0.2 = 0.3;
SELECT 10::numeric / 3, 1::numeric / 3, 2.0 / 3, 1 / 3.0, 100.0 / 8, 1.000 / 7;
SELECT 123456789012345678901234567890 / 7, 1 / 123456789012345678901234567890.0;
SELECT 12345678901234567890.5 * 98765432109876543210.25;
SELECT 7.5 % 2, -7.5 % 2, mod(10.5, 3), div(10.5, 3);
SELECT 1.0 / 0; -- error 22012
SELECT 1.0 % 0; -- error 22012
SELECT round(2.5), round(-2.5), round(2.345, 2), round(-2.345, 2), round(1234.5, -2), round(0.5);
SELECT trunc(2.789, 2), trunc(-2.789), ceil(-1.5), floor(-1.5), ceil(1.000001), floor(2.0);
SELECT abs(-1.50), sign(-1.50), sign(0.0), sqrt(2.0), sqrt(16::numeric), power(2.0, 10), exp(1.0), ln(2.0);
SELECT scale(1.500), round(1.500, 1), trunc(12.999::numeric(5,2), 1), 1.50::numeric(5,1);
SELECT 1.25::numeric(3,1), 1.35::numeric(3,1), -1.25::numeric(3,1), 0.05::numeric(2,1);
SELECT 1234.56::numeric(4,1); -- error 22003
SELECT 'abc'::numeric; -- error 22P02
SELECT '  -1.5e3 '::numeric, '.5'::numeric, '1e-3'::numeric, '+0.00'::numeric, 'nan'::numeric;
SELECT n2 * 2, n2 / 2, n2 + n0, n2 - big FROM nums WHERE id = 5;
SELECT sum(n2), avg(n2), min(n2), max(n2), count(n2) FROM nums WHERE id < 20;
SELECT sum(n), max(n) FROM nums WHERE id < 8;
SELECT avg(n0), sum(n0) FROM nums;
SELECT n2::text, n2::float8, n2::int, n0::bigint FROM nums WHERE id = 4;
SELECT big::int FROM nums WHERE id = 2; -- error 22003
SELECT 2.5::int, 3.5::int, -2.5::int, 2.49999::int, 9223372036854775807.4::bigint;
SELECT id FROM nums WHERE n2 = 2.35 ORDER BY id;
SELECT id FROM nums WHERE n2 = 2.345 ORDER BY id;
SELECT id FROM nums WHERE n = 1.5 ORDER BY id;
SELECT id FROM nums WHERE n > 1e9 ORDER BY id;
SELECT 1.0 = 1.00, 1.0 < 1.01, 'NaN'::numeric > 1e100, greatest(1.5, 2, 1.25), least(1.5, 2, 1.25);
SELECT 0.1::numeric + 0.2::float8, 1::numeric + 1::int, 1.5::numeric * 2::bigint;
SELECT 99999999999999999999999999999999999999 + 1, -1e30 - 1;
