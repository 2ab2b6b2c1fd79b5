-- DATE and TIMESTAMP (without time zone): input forms, output, range and validity errors,
-- arithmetic (date +/- int, date - date, timestamp - timestamp as interval), extract/date_trunc.
-- The server runs with timezone UTC; nothing here depends on the current time except
-- comparisons that are true whenever they run.

CREATE TABLE times (id int PRIMARY KEY, d date, ts timestamp);
INSERT INTO times VALUES
    (1, '2024-02-29', '2024-02-29 23:59:59.999999'),
    (2, '1970-01-01', '1970-01-01 00:00:00'),
    (3, '1999-12-31', '2000-01-01 12:00:00.5'),
    (4, NULL, NULL),
    (5, '0001-01-01', '0001-01-01 00:00:00'),
    (6, '9999-12-31', '9999-12-31 23:59:59'),
    (7, '2024-1-2', '2024-01-02T03:04:05'),
    (8, '2023-06-15', '2023-06-15 08:30'),
    (9, '2024-03-10', '2024-03-10 02:30:00.123456789');
SELECT * FROM times ORDER BY id;
SELECT id, d FROM times ORDER BY d NULLS FIRST, id;
SELECT id, ts FROM times ORDER BY ts DESC NULLS LAST, id;
SELECT id FROM times WHERE d > '2000-01-01' ORDER BY id;
SELECT id FROM times WHERE ts < '2000-01-01 12:00:00.5' ORDER BY id;
SELECT id FROM times WHERE ts BETWEEN '2023-01-01' AND '2024-02-29 23:59:59' ORDER BY id;
SELECT id FROM times WHERE d = ts::date ORDER BY id;
SELECT id FROM times WHERE d < ts ORDER BY id;
SELECT min(d), max(d), min(ts), max(ts), count(d) FROM times;

INSERT INTO times (id, d) VALUES (20, '2023-02-29'); -- error 22008
INSERT INTO times (id, d) VALUES (20, '2024-13-01'); -- error 22008
INSERT INTO times (id, ts) VALUES (20, '2024-01-01 24:00:01'); -- error 22008
INSERT INTO times (id, ts) VALUES (20, '2024-01-01 12:60:00'); -- error 22008
INSERT INTO times (id, d) VALUES (20, 'not a date'); -- error 22007
INSERT INTO times (id, d) VALUES (20, ''); -- error 22007
INSERT INTO times (id, d) VALUES (20, 20240101); -- error 42804
INSERT INTO times (id, d, ts) VALUES (20, '2024-01-31', '2024-01-01 24:00:00');
INSERT INTO times (id, d, ts) VALUES (21, '  2024-05-06  ', '2024-05-06 07:08:09.100');
INSERT INTO times (id, d, ts) VALUES (22, '20240102', '2024-01-02 03:04:05.000001');
SELECT id, d, ts FROM times WHERE id >= 20 ORDER BY id;

SELECT DATE '2024-01-31' + 1, DATE '2024-02-28' + 1, DATE '2023-02-28' + 1, DATE '2024-01-01' - 1;
SELECT DATE '2024-03-01' - DATE '2024-02-01', DATE '2024-01-01' - DATE '2025-01-01';
SELECT d + 30, d - 365 FROM times WHERE id = 1;
SELECT d + interval '1 month', d + interval '1 day', d - interval '1 year' FROM times WHERE id = 1;
SELECT DATE '2024-01-31' + interval '1 month', DATE '2024-03-31' - interval '1 month';
SELECT ts + interval '1 day 2 hours', ts - interval '30 minutes', ts + interval '1 second' FROM times WHERE id = 1;
SELECT TIMESTAMP '2024-03-01 00:00:00' - TIMESTAMP '2024-02-28 22:00:00';
SELECT TIMESTAMP '2024-01-01 00:00:00' - TIMESTAMP '2024-01-01 00:00:01', TIMESTAMP '2025-01-01' - TIMESTAMP '2024-01-01';
SELECT TIMESTAMP '2024-01-01 10:00:00.25' - TIMESTAMP '2024-01-01 10:00:00';
SELECT ts - TIMESTAMP '2024-01-01' FROM times WHERE id IN (1, 7, 9) ORDER BY id;
SELECT DATE '2024-05-06' + TIME '12:34:56', DATE '2024-05-06'::timestamp, TIMESTAMP '2024-05-06 23:59:59'::date;
SELECT interval '1 day' + interval '25 hours', interval '90 minutes', interval '1 year 2 months 3 days', -interval '1 day';
SELECT interval '1 day' * 3, interval '1 hour' / 2, interval '2 days' > interval '47 hours';
SELECT DATE '2024-02-29' + 1 > DATE '2024-02-29', TIMESTAMP '2024-01-01' = DATE '2024-01-01', DATE '2024-01-02' > TIMESTAMP '2024-01-01 23:59:59';

SELECT extract(year FROM d), extract(month FROM d), extract(day FROM d), extract(dow FROM d), extract(doy FROM d) FROM times WHERE id = 1;
SELECT extract(hour FROM ts), extract(minute FROM ts), extract(second FROM ts), extract(microseconds FROM ts) FROM times WHERE id = 1;
SELECT extract(epoch FROM ts) FROM times WHERE id IN (1, 2, 3) ORDER BY id;
SELECT extract(epoch FROM d) FROM times WHERE id = 1;
SELECT EXTRACT(QUARTER FROM DATE '2024-08-15'), EXTRACT(WEEK FROM DATE '2024-01-01'), EXTRACT(ISODOW FROM DATE '2024-01-07'), EXTRACT(CENTURY FROM DATE '2000-01-01');
SELECT date_part('year', ts), date_part('day', d), date_part('epoch', ts) FROM times WHERE id = 3;
SELECT date_trunc('month', ts), date_trunc('day', ts), date_trunc('hour', ts), date_trunc('year', ts), date_trunc('week', ts) FROM times WHERE id = 1;
SELECT date_trunc('minute', TIMESTAMP '2024-05-06 07:08:09.5'), date_trunc('second', TIMESTAMP '2024-05-06 07:08:09.5'), date_trunc('quarter', DATE '2024-05-06');
SELECT make_date(2024, 2, 29), make_timestamp(2024, 2, 29, 12, 30, 45.5);
SELECT make_date(2023, 2, 29); -- error 22008
SELECT to_char(ts, 'YYYY-MM-DD HH24:MI:SS'), to_char(d, 'DD/MM/YYYY'), to_char(ts, 'Mon DD, YYYY HH12:MI AM') FROM times WHERE id = 8;
SELECT to_date('2024-03-05', 'YYYY-MM-DD'), to_timestamp('2024-03-05 14:15:16', 'YYYY-MM-DD HH24:MI:SS')::timestamp;
SELECT age(TIMESTAMP '2024-03-01', TIMESTAMP '2023-01-15'), age(DATE '2024-03-01', DATE '2024-02-01');
SELECT d::text, ts::text, CAST(d AS timestamp), CAST(ts AS date), ts::varchar FROM times WHERE id = 3;
SELECT '2024-02-29'::date, '2024-02-29 13:14:15'::timestamp, 'epoch'::timestamp, 'infinity'::date, '-infinity'::timestamp;
SELECT TIMESTAMP '2024-01-01 00:00:00.1234567', TIMESTAMP '2024-01-01 23:59:59.9999995';
SELECT '2024-02-30'::date; -- error 22008
SELECT '10000-01-01'::date;
SELECT 'yesterday'::date < 'tomorrow'::date, 'today'::date = current_date;
SELECT current_date = now()::date, now() = current_timestamp, localtimestamp <= now()::timestamp + interval '1 minute';
SELECT current_date - DATE '2020-01-01' > 1000, now() > TIMESTAMP '2024-01-01';
SELECT d, count(*) FROM times WHERE d IS NOT NULL GROUP BY d ORDER BY d;
SELECT date_trunc('year', d)::date AS y, count(*) FROM times WHERE d IS NOT NULL GROUP BY 1 ORDER BY 1;
SELECT extract(year FROM ts) AS y, count(*) FROM times GROUP BY 1 ORDER BY 1 NULLS LAST;
SELECT DATE '2024-01-01' + 2147483647; -- error 22008
SELECT TIMESTAMP '294276-12-31 23:59:59' + interval '1 day'; -- error 22008
