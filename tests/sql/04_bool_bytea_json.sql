-- BOOLEAN (input spellings, t/f output, three-valued logic), BYTEA (hex output, escapes, byte
-- order) and JSON (kept exactly as written, operators).

CREATE TABLE bools (id int PRIMARY KEY, b boolean NOT NULL DEFAULT false, nb boolean);
INSERT INTO bools VALUES
    (1, true, true), (2, false, false), (3, 't', NULL), (4, 'yes', 'no'),
    (5, 'off', 'on'), (6, '1', '0'), (7, 'TRUE', ' false '), (8, 'y', 'n');
INSERT INTO bools (id) VALUES (9);
SELECT * FROM bools ORDER BY id;
INSERT INTO bools VALUES (10, 'maybe', NULL); -- error 22P02
INSERT INTO bools VALUES (10, 2, NULL); -- error 42804
INSERT INTO bools VALUES (10, NULL, NULL); -- error 23502
SELECT id FROM bools WHERE b ORDER BY id;
SELECT id FROM bools WHERE NOT b ORDER BY id;
SELECT id FROM bools WHERE nb ORDER BY id;
SELECT id FROM bools WHERE NOT nb ORDER BY id;
SELECT id FROM bools WHERE nb IS NULL ORDER BY id;
SELECT id FROM bools WHERE nb IS NOT TRUE ORDER BY id;
SELECT id FROM bools WHERE nb IS NOT FALSE ORDER BY id;
SELECT id FROM bools WHERE nb IS UNKNOWN ORDER BY id;
SELECT id FROM bools WHERE b = nb ORDER BY id;
SELECT id FROM bools WHERE b IS DISTINCT FROM nb ORDER BY id;
SELECT id, b AND nb, b OR nb, NOT nb, b AND NULL, b OR NULL FROM bools ORDER BY id;
SELECT NULL AND false, NULL AND true, NULL OR true, NULL OR false, NOT NULL::boolean;
SELECT true > false, true::int, false::int, 1::boolean, 0::boolean, 5::boolean, 'on'::boolean;
SELECT b::text, nb::varchar, CAST(b AS int) FROM bools WHERE id = 3;
SELECT count(*) FILTER (WHERE b), count(*) FILTER (WHERE nb), count(nb) FROM bools;
SELECT bool_and(b), bool_or(b), bool_and(nb), bool_or(nb), every(b) FROM bools;
SELECT b, count(*) FROM bools GROUP BY b ORDER BY b;
SELECT nb, count(*) FROM bools GROUP BY nb ORDER BY nb NULLS FIRST;
SELECT min(id) FILTER (WHERE nb IS NULL), max(b::int) FROM bools;

CREATE TABLE blobs (id int PRIMARY KEY, b bytea);
INSERT INTO blobs VALUES
    (1, '\x00ff10'), (2, ''), (3, NULL), (4, 'abc'), (5, '\x'),
    (6, E'\\000\\001\\377'), (7, decode('68656c6c6f', 'hex')), (8, '\xDEADBEEF'),
    (9, 'a\\b'), (10, convert_to('日本', 'UTF8'));
SELECT * FROM blobs ORDER BY id;
SELECT id, length(b), octet_length(b), encode(b, 'hex'), encode(b, 'base64'), encode(b, 'escape') FROM blobs ORDER BY id;
SELECT id FROM blobs WHERE b IS NOT NULL ORDER BY b, id;
SELECT id FROM blobs WHERE b = 'abc'::bytea ORDER BY id;
SELECT id FROM blobs WHERE b = '\x616263' ORDER BY id;
SELECT id FROM blobs WHERE b > '\x61' ORDER BY id;
SELECT 'abc'::bytea, '\x4142'::bytea, 'a'::bytea || '\x00'::bytea || 'b'::bytea, ''::bytea;
SELECT substring('\x0102030405'::bytea FROM 2 FOR 3), get_byte('\x0a0b'::bytea, 1), set_byte('\x0a0b'::bytea, 0, 255);
SELECT md5('\x00'::bytea), sha256('abc'::bytea), decode('YWJj', 'base64'), position('\x03'::bytea IN '\x010203'::bytea);
SELECT '\xzz'::bytea; -- error 22023
SELECT '\x123'::bytea; -- error 22023
INSERT INTO blobs VALUES (11, 42); -- error 42804
SELECT max(b) FROM blobs; -- error 42883
SELECT count(b), count(*) FROM blobs;

CREATE TABLE docs (id int PRIMARY KEY, j json);
INSERT INTO docs VALUES
    (1, '{"a": 1, "b": [1, 2, {"c": null}], "d": "x"}'),
    (2, '[]'),
    (3, 'null'),
    (4, NULL),
    (5, '  {"x" :  "ü😀\u00e9",   "n": 1.50e2 }  '),
    (6, '"str"'),
    (7, '12.50'),
    (8, '{"a":1,"a":2}'),
    (9, '[1, "two", true, null, {"k": [3]}]'),
    (10, '{"nested": {"deep": {"deeper": [10, 20]}}, "a": "text"}');
SELECT * FROM docs ORDER BY id;
INSERT INTO docs VALUES (11, '{bad'); -- error 22P02
INSERT INTO docs VALUES (11, ''); -- error 22P02
INSERT INTO docs VALUES (11, '{"a": 1,}'); -- error 22P02
SELECT id, j -> 'a', j ->> 'a', j -> 'b' -> 2 -> 'c', j #>> '{b,1}', j #> '{nested,deep}' FROM docs ORDER BY id;
SELECT id, j -> 1, j ->> 1, j -> -1 FROM docs WHERE id IN (2, 9) ORDER BY id;
SELECT id, json_typeof(j) FROM docs ORDER BY id;
SELECT id, json_array_length(j) FROM docs WHERE id IN (2, 9) ORDER BY id;
SELECT id FROM docs WHERE j ->> 'd' = 'x' ORDER BY id;
SELECT id FROM docs WHERE (j ->> 'a')::int = 2 ORDER BY id; -- error 22P02
SELECT id FROM docs WHERE j ->> 'a' = '2' ORDER BY id;
SELECT id, j::text FROM docs WHERE id = 5;
SELECT '{"b":2, "a":1}'::json, '[1,2]'::json -> 0, '{"a":{"b":"c"}}'::json -> 'a' ->> 'b';
SELECT json_build_object('a', 1, 'b', 'two', 'c', NULL, 'd', true), json_build_array(1, 'x', NULL, 2.50);
SELECT to_json('text with "quotes"'::text), to_json(12.50), to_json(NULL::text), to_json(true);
SELECT json_agg(id ORDER BY id) FROM docs WHERE id < 4;
SELECT json_object_agg(id, id * 10 ORDER BY id) FROM docs WHERE id < 4;
SELECT count(j), count(*) FROM docs;
