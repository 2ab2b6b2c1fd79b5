-- TEXT, VARCHAR(n), CHAR(n): UTF-8 round trips, NULL versus '', length limits (22001),
-- blank-padding of char(n), byte-order (C collation) comparisons and the string functions.

CREATE TABLE texts (
    id int PRIMARY KEY,
    t text,
    vc varchar(5),
    c char(3),
    v varchar
);
INSERT INTO texts VALUES
    (1, 'hello', 'hello', 'ab', 'x'),
    (2, '', '', '', ''),
    (3, NULL, NULL, NULL, NULL),
    (4, 'héllo wörld ✓ 日本語 😀', 'ñañá', 'ü', 'emoji 😀'),
    (5, E'tab\there\nnewline\r', 'a b  ', 'a  ', ' lead'),
    (6, 'quote''s "dq" \back\', 'x''y', '''', '%_'),
    (7, 'Zebra', 'apple', 'B', 'b'),
    (8, 'zeta', 'Apple', 'a', 'ä');
SELECT * FROM texts ORDER BY id;
SELECT id, length(t), length(vc), length(c), octet_length(t), char_length(v), bit_length(vc) FROM texts ORDER BY id;
SELECT id, c, c || '|', c::text || '|', vc || '|', concat(c, '|') FROM texts ORDER BY id;
SELECT id, t IS NULL, t = '', coalesce(t, '<null>'), nullif(t, '') IS NULL FROM texts ORDER BY id;
SELECT count(t), count(*), count(NULLIF(t, '')) FROM texts;
SELECT id FROM texts WHERE t = '' ORDER BY id;
SELECT id FROM texts WHERE t <> '' ORDER BY id;
SELECT id FROM texts WHERE c = 'a' ORDER BY id;
SELECT id FROM texts WHERE c = 'a  ' ORDER BY id;
SELECT id FROM texts WHERE vc = 'a b' ORDER BY id;
SELECT id, t FROM texts WHERE t IS NOT NULL ORDER BY t, id;
SELECT id, vc FROM texts WHERE vc IS NOT NULL ORDER BY vc DESC, id;
SELECT id, c FROM texts ORDER BY c NULLS FIRST, id;
SELECT min(t), max(t), min(vc), max(vc), max(c) FROM texts;
SELECT 'a' < 'b', 'B' < 'a', 'Z' < 'a', 'é' > 'z', 'abc' < 'abd', 'ab' < 'abc', '' < 'a';

INSERT INTO texts (id, vc) VALUES (10, 'abcdef'); -- error 22001
INSERT INTO texts (id, c) VALUES (10, 'abcd'); -- error 22001
INSERT INTO texts (id, vc) VALUES (10, 'ñañáñ😀'); -- error 22001
INSERT INTO texts (id, vc, c) VALUES (10, 'abcde   ', 'xyz   ');
INSERT INTO texts (id, vc, c) VALUES (11, '😀😀😀😀😀', '日本語');
SELECT id, vc, c, length(vc), octet_length(c) FROM texts WHERE id >= 10 ORDER BY id;
UPDATE texts SET vc = 'toolong' WHERE id = 10; -- error 22001
SELECT 'abcdef'::varchar(3), 'abcdef'::char(2), 'ab'::char(4), 'ab'::char(4) || 'c', 'a'::char;
SELECT CAST('abcdef' AS varchar(3)), CAST('x' AS char(3)), length('x'::char(3)), octet_length('x'::char(3));
SELECT 'ab '::char(3) = 'ab'::char(3), 'ab '::varchar = 'ab'::varchar, 'ab '::text = 'ab';

SELECT upper('héllo wörld'), lower('HÉLLO World'), initcap('hello wORLD foo-bar');
SELECT 'abc' || 'def', 'abc' || NULL, concat('abc', NULL, 'def', 1, 2.50), concat_ws(', ', 'a', NULL, 'b');
SELECT 'x' || 1, 1 || 'x', 'v' || 2.50 || true;
SELECT substring('hello world' FROM 7), substring('hello world' FROM 1 FOR 5), substring('hello', 0, 3), substr('hello', 2), substr('hello', 2, 2);
SELECT substring('日本語テキスト', 2, 3), left('hello', 2), right('hello', 3), left('hello', -2), right('hello', -2);
SELECT position('lo' IN 'hello'), position('z' IN 'hello'), strpos('日本語', '語'), position('' IN 'abc');
SELECT trim('  pad  '), ltrim('  pad  '), rtrim('  pad  '), trim(BOTH 'x' FROM 'xxpadxx'), trim(LEADING 'x' FROM 'xxpadxx'), trim(TRAILING FROM '  p  ');
SELECT btrim('xyxtextyx', 'xy'), ltrim('zzzab', 'z'), rtrim('abzzz', 'z');
SELECT lpad('7', 3, '0'), rpad('ab', 5, '-'), lpad('hello', 3), rpad('', 2), lpad('x', 5);
SELECT replace('hello hello', 'll', 'LL'), replace('abc', '', 'x'), replace(NULL, 'a', 'b'), translate('hello', 'el', 'ip');
SELECT reverse('héllo'), repeat('ab', 3), repeat('x', 0), repeat('x', -1);
SELECT split_part('a,b,c', ',', 2), split_part('a,b,c', ',', 5), split_part('a,b,c', ',', -1);
SELECT ascii('A'), ascii('é'), chr(65), chr(233), chr(128512);
SELECT md5('hello'), md5(''), to_hex(255), to_hex(-1), to_hex(9223372036854775807);
SELECT starts_with('hello', 'he'), starts_with('hello', 'lo'), 'hello' ^@ 'hel';
SELECT format('%s-%s', 'a', 42), format('%L', 'it''s'), format('%I', 'My Col'), format('%5s|%-5s|', 'x', 'y');
SELECT quote_literal('it''s'), quote_ident('a b'), quote_ident('abc'), quote_nullable(NULL);
SELECT 'abc' LIKE 'a%', 'abc' LIKE 'A%', 'abc' ILIKE 'A%', 'abc' NOT LIKE '_b_', 'a%c' LIKE 'a\%c', 'abc' LIKE 'a\%c';
SELECT 'ABC' ILIKE 'abc', 'héllo' ILIKE 'HÉLLO', 'héllo' ILIKE 'H_LLO', 'x' LIKE '', '' LIKE '%';
SELECT id, v FROM texts WHERE v LIKE '%\%%' ORDER BY id;
SELECT id, t FROM texts WHERE t LIKE '%l%' ORDER BY id;
SELECT id, t FROM texts WHERE t ILIKE 'z%' ORDER BY id;
SELECT id, t FROM texts WHERE t NOT ILIKE '%E%' ORDER BY id;
SELECT 'abc' ~ 'b', 'abc' ~* 'B', 'abc' !~ '^b', regexp_replace('a1b22c', '[0-9]+', '#', 'g'), regexp_replace('aaa', 'a', 'b');
SELECT 'abc' SIMILAR TO 'a(b|x)c', 'abd' SIMILAR TO 'a(b|x)c';
SELECT length(NULL::text), upper(NULL), lower(''), trim(''), '' || '', concat(NULL), concat(NULL, NULL) IS NULL;
SELECT concat(); -- error 42883
SELECT string_to_array('a,b,,c', ',') IS NOT NULL, array_to_string(ARRAY['a', NULL, 'c'], '-', '*');
SELECT 'It''s', E'It\'s', E'\x41\u00e9\n' = E'A\u00e9\n', U&'\00e9', $$dollar 'quoted'$$, $tag$a$$b$tag$;
SELECT 'multi'
       'line'
       ' literal';
SELECT 'same' 'line'; -- error 42601
SELECT encode('hello'::bytea, 'base64'), convert_to('é', 'UTF8'), convert_from('\xc3a9', 'UTF8');
SELECT t COLLATE "C" FROM texts WHERE id = 1;
SELECT 'Ünïcödé 😀 🚀' AS u, length('👨‍👩‍👧') AS family_codepoints, octet_length('👨‍👩‍👧') AS bytes;
