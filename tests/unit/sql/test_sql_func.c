/* Unit tests for the SQLite function library: each case runs "SELECT <expr>" on an in-memory
 * SQLite database with sql_func_register, formats the value as PostgreSQL text, and compares it
 * with what PostgreSQL 15 (UTF8, C locale, DateStyle ISO, TimeZone UTC) answered for the same
 * expression written in PostgreSQL's syntax; "ERR xxxxx" is the SQLSTATE PostgreSQL raised.
 * Hints: "b" formats the value as boolean, "f4" as real. */
#include "sql/sql_func.h"
#include "sql/sql_func_int.h"
#include "sql/sql_numeric.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

struct func_case {
    const char *expr, *hint, *expect;
};

static const struct func_case func_cases[] = {
    {"pg_add(1, 2)", "", "3"},
    {"pg_sub(1, 2)", "", "-1"},
    {"pg_mul(1, 2)", "", "2"},
    {"pg_div(1, 2)", "", "0"},
    {"pg_mod(1, 2)", "", "1"},
    {"pg_add(9223372036854775807, 1)", "", "ERR 22003"},
    {"pg_sub(9223372036854775807, 1)", "", "9223372036854775806"},
    {"pg_mul(9223372036854775807, 1)", "", "9223372036854775807"},
    {"pg_div(9223372036854775807, 1)", "", "9223372036854775807"},
    {"pg_mod(9223372036854775807, 1)", "", "0"},
    {"pg_add(-9223372036854775808, -1)", "", "ERR 22003"},
    {"pg_sub(-9223372036854775808, -1)", "", "-9223372036854775807"},
    {"pg_mul(-9223372036854775808, -1)", "", "ERR 22003"},
    {"pg_div(-9223372036854775808, -1)", "", "ERR 22003"},
    {"pg_mod(-9223372036854775808, -1)", "", "0"},
    {"pg_add(7, 2)", "", "9"},
    {"pg_sub(7, 2)", "", "5"},
    {"pg_mul(7, 2)", "", "14"},
    {"pg_div(7, 2)", "", "3"},
    {"pg_mod(7, 2)", "", "1"},
    {"pg_add(-7, 2)", "", "-5"},
    {"pg_sub(-7, 2)", "", "-9"},
    {"pg_mul(-7, 2)", "", "-14"},
    {"pg_div(-7, 2)", "", "-3"},
    {"pg_mod(-7, 2)", "", "-1"},
    {"pg_add(7, 0)", "", "7"},
    {"pg_sub(7, 0)", "", "7"},
    {"pg_mul(7, 0)", "", "0"},
    {"pg_div(7, 0)", "", "ERR 22012"},
    {"pg_mod(7, 0)", "", "ERR 22012"},
    {"pg_add(5, -1)", "", "4"},
    {"pg_sub(5, -1)", "", "6"},
    {"pg_mul(5, -1)", "", "-5"},
    {"pg_div(5, -1)", "", "-5"},
    {"pg_mod(5, -1)", "", "0"},
    {"pg_add(pg_numeric('1.5'), pg_numeric('2.25'))", "", "3.75"},
    {"pg_add(pg_numeric('1.5'), 3)", "", "4.5"},
    {"pg_sub(pg_numeric('1.5'), pg_numeric('2.25'))", "", "-0.75"},
    {"pg_sub(pg_numeric('1.5'), 3)", "", "-1.5"},
    {"pg_mul(pg_numeric('1.5'), pg_numeric('2.25'))", "", "3.375"},
    {"pg_mul(pg_numeric('1.5'), 3)", "", "4.5"},
    {"pg_div(pg_numeric('1.5'), pg_numeric('2.25'))", "", "0.66666666666666666667"},
    {"pg_div(pg_numeric('1.5'), 3)", "", "0.50000000000000000000"},
    {"pg_mod(pg_numeric('1.5'), pg_numeric('2.25'))", "", "1.50"},
    {"pg_mod(pg_numeric('1.5'), 3)", "", "1.5"},
    {"pg_add(pg_numeric('10'), pg_numeric('4'))", "", "14"},
    {"pg_add(pg_numeric('10'), 3)", "", "13"},
    {"pg_sub(pg_numeric('10'), pg_numeric('4'))", "", "6"},
    {"pg_sub(pg_numeric('10'), 3)", "", "7"},
    {"pg_mul(pg_numeric('10'), pg_numeric('4'))", "", "40"},
    {"pg_mul(pg_numeric('10'), 3)", "", "30"},
    {"pg_div(pg_numeric('10'), pg_numeric('4'))", "", "2.5000000000000000"},
    {"pg_div(pg_numeric('10'), 3)", "", "3.3333333333333333"},
    {"pg_mod(pg_numeric('10'), pg_numeric('4'))", "", "2"},
    {"pg_mod(pg_numeric('10'), 3)", "", "1"},
    {"pg_add(pg_numeric('1'), pg_numeric('3'))", "", "4"},
    {"pg_add(pg_numeric('1'), 3)", "", "4"},
    {"pg_sub(pg_numeric('1'), pg_numeric('3'))", "", "-2"},
    {"pg_sub(pg_numeric('1'), 3)", "", "-2"},
    {"pg_mul(pg_numeric('1'), pg_numeric('3'))", "", "3"},
    {"pg_mul(pg_numeric('1'), 3)", "", "3"},
    {"pg_div(pg_numeric('1'), pg_numeric('3'))", "", "0.33333333333333333333"},
    {"pg_div(pg_numeric('1'), 3)", "", "0.33333333333333333333"},
    {"pg_mod(pg_numeric('1'), pg_numeric('3'))", "", "1"},
    {"pg_mod(pg_numeric('1'), 3)", "", "1"},
    {"pg_add(pg_numeric('-7.5'), pg_numeric('2'))", "", "-5.5"},
    {"pg_add(pg_numeric('-7.5'), 3)", "", "-4.5"},
    {"pg_sub(pg_numeric('-7.5'), pg_numeric('2'))", "", "-9.5"},
    {"pg_sub(pg_numeric('-7.5'), 3)", "", "-10.5"},
    {"pg_mul(pg_numeric('-7.5'), pg_numeric('2'))", "", "-15.0"},
    {"pg_mul(pg_numeric('-7.5'), 3)", "", "-22.5"},
    {"pg_div(pg_numeric('-7.5'), pg_numeric('2'))", "", "-3.7500000000000000"},
    {"pg_div(pg_numeric('-7.5'), 3)", "", "-2.5000000000000000"},
    {"pg_mod(pg_numeric('-7.5'), pg_numeric('2'))", "", "-1.5"},
    {"pg_mod(pg_numeric('-7.5'), 3)", "", "-1.5"},
    {"pg_add(pg_numeric('0.1'), pg_numeric('0.2'))", "", "0.3"},
    {"pg_add(pg_numeric('0.1'), 3)", "", "3.1"},
    {"pg_sub(pg_numeric('0.1'), pg_numeric('0.2'))", "", "-0.1"},
    {"pg_sub(pg_numeric('0.1'), 3)", "", "-2.9"},
    {"pg_mul(pg_numeric('0.1'), pg_numeric('0.2'))", "", "0.02"},
    {"pg_mul(pg_numeric('0.1'), 3)", "", "0.3"},
    {"pg_div(pg_numeric('0.1'), pg_numeric('0.2'))", "", "0.50000000000000000000"},
    {"pg_div(pg_numeric('0.1'), 3)", "", "0.03333333333333333333"},
    {"pg_mod(pg_numeric('0.1'), pg_numeric('0.2'))", "", "0.1"},
    {"pg_mod(pg_numeric('0.1'), 3)", "", "0.1"},
    {"pg_add(1.5, 2.25)", "", "3.75"},
    {"pg_sub(1.5, 2.25)", "", "-0.75"},
    {"pg_mul(1.5, 2.25)", "", "3.375"},
    {"pg_div(1.5, 2.25)", "", "0.6666666666666666"},
    {"pg_add(1e308, 10.0)", "", "1e+308"},
    {"pg_sub(1e308, 10.0)", "", "1e+308"},
    {"pg_mul(1e308, 10.0)", "", "ERR 22003"},
    {"pg_div(1e308, 10.0)", "", "1e+307"},
    {"pg_add(0.1, 0.2)", "", "0.30000000000000004"},
    {"pg_sub(0.1, 0.2)", "", "-0.1"},
    {"pg_mul(0.1, 0.2)", "", "0.020000000000000004"},
    {"pg_div(0.1, 0.2)", "", "0.5"},
    {"pg_add(1.0, 0.0)", "", "1"},
    {"pg_sub(1.0, 0.0)", "", "1"},
    {"pg_mul(1.0, 0.0)", "", "0"},
    {"pg_div(1.0, 0.0)", "", "ERR 22012"},
    {"pg_add(1e-300, 1e-300)", "", "2e-300"},
    {"pg_sub(1e-300, 1e-300)", "", "0"},
    {"pg_mul(1e-300, 1e-300)", "", "ERR 22003"},
    {"pg_div(1e-300, 1e-300)", "", "1"},
    {"pg_add(1.5, 2)", "", "3.5"},
    {"pg_add(pg_numeric('1.5'), 0.25)", "", "1.75"},
    {"pg_neg(5)", "", "-5"},
    {"pg_neg(pg_numeric('1.50'))", "", "-1.50"},
    {"pg_neg(-9223372036854775808)", "", "ERR 22003"},
    {"pg_pow(2, 10)", "", "1024"},
    {"pg_pow(2, -1)", "", "0.5"},
    {"pg_pow(pg_numeric('2.0'), 3)", "", "8.0000000000000000"},
    {"pg_pow(pg_numeric('1.5'), pg_numeric('2.5'))", "", "2.7556759606310754"},
    {"pg_pow(0, -1)", "", "ERR 2201F"},
    {"pg_pow(pg_numeric('-8'), pg_numeric('0.5'))", "", "ERR 2201F"},
    {"pg_pow(10e0, 400)", "", "ERR 22003"},
    {"pg_pow(pg_numeric('1.000001'), 1000000)", "", "2.7182804693193769"},
    {"pg_pow(pg_numeric('1e10'), pg_numeric('1.5'))", "", "1000000000000000.0"},
    {"pg_pow(pg_numeric('100.0'), pg_numeric('-0.5'))", "", "0.10000000000000000"},
    {"pg_pow(pg_numeric('1.1'), 100)", "", "13780.6123398222701841"},
    {"pg_pow(pg_numeric('3.0'), 40)", "", "12157665459056928801.0000000000000000"},
    {"pg_pow(pg_numeric('0.5'), 10)", "", "0.0009765625000000"},
    {"pg_add('2024-01-31', 30)", "", "2024-03-01"},
    {"pg_sub('2024-03-01', '2024-02-01')", "", "29"},
    {"pg_add('2024-01-31', '1 mon')", "", "2024-02-29 00:00:00"},
    {"pg_add('2024-01-31 10:00:00', '1 day 02:00:00')", "", "2024-02-01 12:00:00"},
    {"pg_add('1 day', '2024-01-31 10:00:00')", "", "2024-02-01 10:00:00"},
    {"pg_sub('2024-01-31 10:00:00', '2024-01-30 07:30:00')", "", "1 day 02:30:00"},
    {"pg_sub('2024-01-31 10:00:00', '1 mon')", "", "2023-12-31 10:00:00"},
    {"pg_add('1 day', '02:00:00')", "", "1 day 02:00:00"},
    {"pg_mul('1 day 02:00:00', 2.5)", "", "2 days 17:00:00"},
    {"pg_div('1 mon', 3)", "", "10 days"},
    {"pg_neg('1 day')", "", "-1 days"},
    {"pg_sub('2024-03-01', 1)", "", "2024-02-29"},
    {"pg_add('abc', 1)", "", "ERR 22P02"},
    {"pg_add('2024-01-01 10:00:00', 1)", "", "ERR 42883"},
    {"pg_cast('12', 'int4')", "", "12"},
    {"pg_cast(' 12 ', 'int4')", "", "12"},
    {"pg_cast('12abc', 'int4')", "", "ERR 22P02"},
    {"pg_cast('12.5', 'int8')", "", "13"},
    {"pg_cast(3000000000, 'int4')", "", "ERR 22003"},
    {"pg_cast('99999999999', 'int4')", "", "ERR 22003"},
    {"pg_cast(32768, 'int2')", "", "ERR 22003"},
    {"pg_cast(2.5e0, 'int4')", "", "2"},
    {"pg_cast(3.5e0, 'int4')", "", "4"},
    {"pg_cast(-2.5e0, 'int4')", "", "-2"},
    {"pg_cast(pg_numeric('2.5'), 'int4')", "", "3"},
    {"pg_cast(pg_numeric('-2.5'), 'int4')", "", "-3"},
    {"pg_cast(pg_numeric('10000000000000000000'), 'int8')", "", "ERR 22003"},
    {"pg_cast('1.5', 'float8')", "", "1.5"},
    {"pg_cast('abc', 'float8')", "", "ERR 22P02"},
    {"pg_cast('1e400', 'float8')", "", "ERR 22003"},
    {"pg_cast('NaN', 'float8')", "", "NaN"},
    {"pg_cast('-Infinity', 'float8')", "", "-Infinity"},
    {"pg_cast(' 2.5 ', 'float4')", "f4", "2.5"},
    {"pg_cast('1e39', 'float4')", "f4", "ERR 22003"},
    {"pg_cast(0.1e0, 'float4')", "f4", "0.1"},
    {"pg_cast(12, 'float8')", "", "12"},
    {"pg_cast('12.345', 'numeric(5,2)')", "", "12.35"},
    {"pg_cast('99999', 'numeric(4,1)')", "", "ERR 22003"},
    {"pg_cast(12, 'numeric(5,2)')", "", "12.00"},
    {"pg_cast(1.5e0, 'numeric')", "", "1.5"},
    {"pg_cast('abc', 'numeric')", "", "ERR 22P02"},
    {"pg_cast(0.1e0, 'numeric(3,2)')", "", "0.10"},
    {"pg_cast('1e3', 'numeric')", "", "1000"},
    {"pg_cast('abcdef', 'varchar(3)')", "", "ERR 22001"},
    {"pg_cast('abc   ', 'varchar(3)')", "", "abc"},
    {"pg_cast('ab', 'varchar(5)')", "", "ab"},
    {"pg_cast('ab', 'bpchar(5)')", "", "ab   "},
    {"pg_cast('abcdef', 'bpchar(3)')", "", "ERR 22001"},
    {"pg_cast(12, 'text')", "", "12"},
    {"pg_cast(1.5e0, 'text')", "", "1.5"},
    {"pg_cast(0.1e0, 'text')", "", "0.1"},
    {"pg_cast(1e20, 'text')", "", "1e+20"},
    {"pg_cast('x', 'char')", "", "x"},
    {"pg_cast('t', 'bool')", "b", "t"},
    {"pg_cast('yes', 'bool')", "b", "t"},
    {"pg_cast('of', 'bool')", "b", "f"},
    {"pg_cast('0', 'bool')", "b", "f"},
    {"pg_cast('o', 'bool')", "b", "ERR 22P02"},
    {"pg_cast('maybe', 'bool')", "b", "ERR 22P02"},
    {"pg_cast(5, 'bool')", "b", "t"},
    {"pg_cast(0, 'bool')", "b", "f"},
    {"pg_cast('2024-01-02', 'date')", "", "2024-01-02"},
    {"pg_cast('2024-01-02 10:11:12', 'date')", "", "2024-01-02"},
    {"pg_cast('2024-02-30', 'date')", "", "ERR 22008"},
    {"pg_cast('x', 'date')", "", "ERR 22007"},
    {"pg_cast('Jan 5 2024', 'date')", "", "2024-01-05"},
    {"pg_cast('2024-01-02 10:11:12.5', 'timestamp')", "", "2024-01-02 10:11:12.5"},
    {"pg_cast('2024-01-02', 'timestamp')", "", "2024-01-02 00:00:00"},
    {"pg_cast('2024-01-02T10:11', 'timestamp')", "", "2024-01-02 10:11:00"},
    {"pg_cast('garbage', 'timestamp')", "", "ERR 22007"},
    {"pg_cast('1 day 2 hours', 'interval')", "", "1 day 02:00:00"},
    {"pg_cast('P1Y', 'interval')", "", "1 year"},
    {"pg_cast('1', 'interval')", "", "00:00:01"},
    {"pg_cast('x', 'interval')", "", "ERR 22007"},
    {"pg_cast('\\x4142', 'bytea')", "", "\\x4142"},
    {"pg_cast('ab\\\\c', 'bytea')", "", "\\x61625c63"},
    {"pg_cast('\\x4', 'bytea')", "", "ERR 22023"},
    {"pg_cast('\\xzz', 'bytea')", "", "ERR 22023"},
    {"pg_cast('{\"a\": [1, 2.5e3, null, true]}', 'json')", "", "{\"a\": [1, 2.5e3, null, true]}"},
    {"pg_cast('{a}', 'json')", "", "ERR 22P02"},
    {"pg_cast('[1,2', 'json')", "", "ERR 22P02"},
    {"pg_cast('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 'uuid')", "", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
    {"pg_cast('{a0eebc999c0b4ef8bb6d6bb9bd380a11}', 'uuid')", "", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
    {"pg_cast('x', 'uuid')", "", "ERR 22P02"},
    {"pg_cast('abcdef', 'varchar(3)', 1)", "", "abc"},
    {"pg_numeric('1.50')", "", "1.50"},
    {"pg_numeric('  -0.00 ')", "", "0.00"},
    {"pg_cmp(1, pg_numeric('1.0'))", "", "0"},
    {"pg_lt(1, pg_numeric('1.0'))", "b", "f"},
    {"pg_cmp(pg_numeric('9.5'), pg_numeric('10'))", "", "-1"},
    {"pg_lt(pg_numeric('9.5'), pg_numeric('10'))", "b", "t"},
    {"pg_cmp('2024-01-02', '2024-01-02 00:00:00')", "", "0"},
    {"pg_lt('2024-01-02', '2024-01-02 00:00:00')", "b", "f"},
    {"pg_cmp('1 day', '24:00:00')", "", "0"},
    {"pg_lt('1 day', '24:00:00')", "b", "f"},
    {"pg_cmp('abc', 'abd')", "", "-1"},
    {"pg_lt('abc', 'abd')", "b", "t"},
    {"pg_cmp(2.5e0, pg_numeric('2.5'))", "", "0"},
    {"pg_lt(2.5e0, pg_numeric('2.5'))", "b", "f"},
    {"pg_eq(NULL, 1)", "b", "NULL"},
    {"pg_like('hello', 'h%o')", "b", "t"},
    {"pg_ilike('hello', 'h%o')", "b", "t"},
    {"pg_like('hello', 'H%')", "b", "f"},
    {"pg_ilike('hello', 'H%')", "b", "t"},
    {"pg_like('a_c', 'a\\_c')", "b", "t"},
    {"pg_ilike('a_c', 'a\\_c')", "b", "t"},
    {"pg_like('abc', 'a\\_c')", "b", "f"},
    {"pg_ilike('abc', 'a\\_c')", "b", "f"},
    {"pg_like('ab%', 'ab\\%')", "b", "t"},
    {"pg_ilike('ab%', 'ab\\%')", "b", "t"},
    {"pg_like('x', '%%')", "b", "t"},
    {"pg_ilike('x', '%%')", "b", "t"},
    {"pg_like('', '%')", "b", "t"},
    {"pg_ilike('', '%')", "b", "t"},
    {"pg_like('héllo', 'h_llo')", "b", "t"},
    {"pg_ilike('héllo', 'h_llo')", "b", "t"},
    {"pg_like('abcabc', '%bc%bc')", "b", "t"},
    {"pg_ilike('abcabc', '%bc%bc')", "b", "t"},
    {"pg_like('mississippi', '%iss%ipp%')", "b", "t"},
    {"pg_ilike('mississippi', '%iss%ipp%')", "b", "t"},
    {"pg_like('abc', 'ab\\')", "", "ERR 22025"},
    {"pg_abs(-5)", "", "5"},
    {"pg_ceil(-5)", "", "-5"},
    {"pg_floor(-5)", "", "-5"},
    {"pg_round(-5)", "", "-5"},
    {"pg_trunc(-5)", "", "-5"},
    {"pg_sign(-5)", "", "-1"},
    {"pg_abs(pg_numeric('-2.50'))", "", "2.50"},
    {"pg_ceil(pg_numeric('-2.50'))", "", "-2"},
    {"pg_floor(pg_numeric('-2.50'))", "", "-3"},
    {"pg_round(pg_numeric('-2.50'))", "", "-3"},
    {"pg_trunc(pg_numeric('-2.50'))", "", "-2"},
    {"pg_sign(pg_numeric('-2.50'))", "", "-1"},
    {"pg_abs(-2.5e0)", "", "2.5"},
    {"pg_ceil(-2.5e0)", "", "-2"},
    {"pg_floor(-2.5e0)", "", "-3"},
    {"pg_round(-2.5e0)", "", "-2"},
    {"pg_trunc(-2.5e0)", "", "-2"},
    {"pg_sign(-2.5e0)", "", "-1"},
    {"pg_round(pg_numeric('2.5'))", "", "3"},
    {"pg_round(pg_numeric('-2.5'))", "", "-3"},
    {"pg_round(2.5e0)", "", "2"},
    {"pg_round(3.5e0)", "", "4"},
    {"pg_round(-0.5e0)", "", "-0"},
    {"pg_round(pg_numeric('1234.5678'))", "", "1235"},
    {"pg_round(pg_numeric('1234.5678'), 2)", "", "1234.57"},
    {"pg_trunc(pg_numeric('1234.5678'), 2)", "", "1234.56"},
    {"pg_round(pg_numeric('1234.5678'), -2)", "", "1200"},
    {"pg_trunc(pg_numeric('1234.5678'), -2)", "", "1200"},
    {"pg_round(pg_numeric('1.5'), 3)", "", "1.500"},
    {"pg_trunc(pg_numeric('1.5'), 3)", "", "1.500"},
    {"pg_round(1234, -2)", "", "1200"},
    {"pg_trunc(1234, -2)", "", "1200"},
    {"pg_round(5, 2)", "", "5.00"},
    {"pg_trunc(5, 2)", "", "5.00"},
    {"pg_sqrt(2)", "", "1.4142135623730951"},
    {"pg_sqrt(pg_numeric('2'))", "", "1.414213562373095"},
    {"pg_sqrt(pg_numeric('2.0'))", "", "1.414213562373095"},
    {"pg_sqrt(-1)", "", "ERR 2201F"},
    {"pg_sqrt(pg_numeric('-1'))", "", "ERR 2201F"},
    {"pg_sqrt(0)", "", "0"},
    {"pg_sqrt(2.25e0)", "", "1.5"},
    {"pg_sqrt(pg_numeric('1e-20'))", "", "0.0000000001000000000000000"},
    {"pg_exp(1)", "", "2.718281828459045"},
    {"pg_exp(pg_numeric('1.0'))", "", "2.7182818284590452"},
    {"pg_exp(pg_numeric('2'))", "", "7.3890560989306502"},
    {"pg_exp(0)", "", "1"},
    {"pg_exp(-1)", "", "0.36787944117144233"},
    {"pg_exp(pg_numeric('100.0'))", "", "26881171418161354484126255515800135873611118.8"},
    {"pg_exp(1000e0)", "", "ERR 22003"},
    {"pg_exp(pg_numeric('-10.0'))", "", "0.00004539992976248485"},
    {"pg_exp(pg_numeric('10000.0'))", "", "ERR 22003"},
    {"pg_ln(2)", "", "0.6931471805599453"},
    {"pg_ln(pg_numeric('2.0'))", "", "0.6931471805599453"},
    {"pg_ln(pg_numeric('10.0'))", "", "2.3025850929940457"},
    {"pg_ln(0)", "", "ERR 2201E"},
    {"pg_ln(pg_numeric('-1'))", "", "ERR 2201E"},
    {"pg_ln(pg_numeric('1.0000001'))", "", "0.00000009999999500000033"},
    {"pg_ln(pg_numeric('1e100'))", "", "230.25850929940457"},
    {"pg_ln(pg_numeric('123.456789012345678901234'))", "", "4.815891208303743929091"},
    {"pg_ln(pg_numeric('0.5'))", "", "-0.6931471805599453"},
    {"pg_log(100)", "", "2"},
    {"pg_log(pg_numeric('100.0'))", "", "2.0000000000000000"},
    {"pg_log(pg_numeric('0.001'))", "", "-3.0000000000000000"},
    {"pg_log(pg_numeric('2.0'))", "", "0.3010299956639812"},
    {"pg_log(0)", "", "ERR 2201E"},
    {"pg_log(2, 8)", "", "3.0000000000000000"},
    {"pg_log(pg_numeric('2.0'), pg_numeric('1024.0'))", "", "10.0000000000000000"},
    {"pg_log(pg_numeric('10.00'), pg_numeric('3.00000'))", "", "0.4771212547196624"},
    {"pg_log(1, 5)", "", "ERR 22012"},
    {"pg_cbrt(27)", "", "3.0000000000000004"},
    {"pg_pi()", "", "3.141592653589793"},
    {"pg_div_trunc(7, 2)", "", "3"},
    {"pg_div_trunc(pg_numeric('-7.5'), 2)", "", "-3"},
    {"pg_div_trunc(1, 0)", "", "ERR 22012"},
    {"pg_mod(-7, 3)", "", "-1"},
    {"pg_mod(pg_numeric('7.5'), 2)", "", "1.5"},
    {"pg_greatest(1, NULL, 3, 2)", "", "3"},
    {"pg_least(NULL, NULL)", "", "NULL"},
    {"pg_greatest(1, pg_numeric('2.5'))", "", "2.5"},
    {"pg_greatest('b', 'a', 'c')", "", "c"},
    {"pg_width_bucket(5.35, 0.024, 10.06, 5)", "", "3"},
    {"pg_width_bucket(5, 0, 10, 0)", "", "ERR 2201G"},
    {"pg_gcd(12, 18)", "", "6"},
    {"pg_lcm(4, 6)", "", "12"},
    {"pg_factorial(20)", "", "2432902008176640000"},
    {"pg_factorial(25)", "", "15511210043330985984000000"},
    {"pg_scale(pg_numeric('1.500'))", "", "3"},
    {"pg_trim_scale(pg_numeric('1.500'))", "", "1.5"},
    {"pg_min_scale(pg_numeric('1.500'))", "", "1"},
    {"pg_degrees(pg_pi())", "", "180"},
    {"pg_asin(2)", "", "ERR 22003"},
    {"pg_atan2(1, 1)", "", "0.7853981633974483"},
    {"pg_sqrt('abc')", "", "ERR 22P02"},
    {"pg_length('hello')", "", "5"},
    {"pg_octet_length('hello')", "", "5"},
    {"pg_upper('hello')", "", "HELLO"},
    {"pg_lower('hello')", "", "hello"},
    {"pg_initcap('hello')", "", "Hello"},
    {"pg_reverse('hello')", "", "olleh"},
    {"pg_md5('hello')", "", "5d41402abc4b2a76b9719d911017c592"},
    {"pg_ascii('hello')", "", "104"},
    {"pg_bit_length('hello')", "", "40"},
    {"pg_length('héllo wörld')", "", "11"},
    {"pg_octet_length('héllo wörld')", "", "13"},
    {"pg_upper('héllo wörld')", "", "HéLLO WöRLD"},
    {"pg_lower('héllo wörld')", "", "héllo wörld"},
    {"pg_initcap('héllo wörld')", "", "HéLlo WöRld"},
    {"pg_reverse('héllo wörld')", "", "dlröw olléh"},
    {"pg_md5('héllo wörld')", "", "ed0c22cc110ede12327851863c078138"},
    {"pg_ascii('héllo wörld')", "", "104"},
    {"pg_bit_length('héllo wörld')", "", "104"},
    {"pg_length('')", "", "0"},
    {"pg_octet_length('')", "", "0"},
    {"pg_upper('')", "", ""},
    {"pg_lower('')", "", ""},
    {"pg_initcap('')", "", ""},
    {"pg_reverse('')", "", ""},
    {"pg_md5('')", "", "d41d8cd98f00b204e9800998ecf8427e"},
    {"pg_ascii('')", "", "0"},
    {"pg_bit_length('')", "", "0"},
    {"pg_initcap('hello wORLD foo-bar 3d')", "", "Hello World Foo-Bar 3d"},
    {"pg_substr('hello', 0, 3)", "", "he"},
    {"pg_substr('hello', -2, 5)", "", "he"},
    {"pg_substr('hello', 2)", "", "ello"},
    {"pg_substr('hello', 10)", "", ""},
    {"pg_substr('héllo', 2, 2)", "", "él"},
    {"pg_substr('hello', 1, -1)", "", "ERR 22011"},
    {"pg_position('lo', 'hello')", "", "4"},
    {"pg_strpos('héllo', 'l')", "", "3"},
    {"pg_strpos('abc', '')", "", "1"},
    {"pg_strpos('abc', 'x')", "", "0"},
    {"pg_left('héllo', 2)", "", "hé"},
    {"pg_right('héllo', 2)", "", "lo"},
    {"pg_left('héllo', -2)", "", "hél"},
    {"pg_right('héllo', -2)", "", "llo"},
    {"pg_left('héllo', 10)", "", "héllo"},
    {"pg_right('héllo', 10)", "", "héllo"},
    {"pg_left('héllo', -10)", "", ""},
    {"pg_right('héllo', -10)", "", ""},
    {"pg_left('héllo', 0)", "", ""},
    {"pg_right('héllo', 0)", "", ""},
    {"pg_lpad('hi', 5)", "", "   hi"},
    {"pg_rpad('hi', 5)", "", "hi   "},
    {"pg_lpad('hello', 3)", "", "hel"},
    {"pg_rpad('hello', 3)", "", "hel"},
    {"pg_lpad('hi', 5, 'xy')", "", "xyxhi"},
    {"pg_rpad('hi', 5, 'xy')", "", "hixyx"},
    {"pg_lpad('hi', 5, '')", "", "hi"},
    {"pg_rpad('hi', 5, '')", "", "hi"},
    {"pg_lpad('hi', -1)", "", ""},
    {"pg_rpad('hi', -1)", "", ""},
    {"pg_lpad('hé', 4, 'é')", "", "ééhé"},
    {"pg_rpad('hé', 4, 'é')", "", "hééé"},
    {"pg_ltrim('  x  ')", "", "x  "},
    {"pg_rtrim('  x  ')", "", "  x"},
    {"pg_btrim('  x  ')", "", "x"},
    {"pg_ltrim('xxhixx', 'x')", "", "hixx"},
    {"pg_rtrim('xxhixx', 'x')", "", "xxhi"},
    {"pg_btrim('xxhixx', 'x')", "", "hi"},
    {"pg_ltrim('abcba', 'ab')", "", "cba"},
    {"pg_rtrim('abcba', 'ab')", "", "abc"},
    {"pg_btrim('abcba', 'ab')", "", "c"},
    {"pg_ltrim('ééxéé', 'é')", "", "xéé"},
    {"pg_rtrim('ééxéé', 'é')", "", "ééx"},
    {"pg_btrim('ééxéé', 'é')", "", "x"},
    {"pg_replace('abcabc', 'bc', 'X')", "", "aXaX"},
    {"pg_replace('abc', '', 'X')", "", "abc"},
    {"pg_repeat('ab', 3)", "", "ababab"},
    {"pg_repeat('ab', -1)", "", ""},
    {"pg_split_part('a,b,c', ',', 2)", "", "b"},
    {"pg_split_part('a,b,c', ',', -1)", "", "c"},
    {"pg_split_part('a,b,c', ',', 5)", "", ""},
    {"pg_split_part('a,b,c', '', 1)", "", "a,b,c"},
    {"pg_split_part('abc', '', 2)", "", ""},
    {"pg_split_part('a,b,c', ',', 0)", "", "ERR 22023"},
    {"pg_split_part('a--b--c', '--', 3)", "", "c"},
    {"pg_concat('a', NULL, 1, 2.5e0)", "", "a12.5"},
    {"pg_concat_ws(',', 'a', NULL, 'b')", "", "a,b"},
    {"pg_concat_ws(NULL, 'a')", "", "NULL"},
    {"pg_starts_with('hello', 'he')", "b", "t"},
    {"pg_chr(233)", "", "é"},
    {"pg_chr(0)", "", "ERR 54000"},
    {"pg_chr(-1)", "", "ERR 22023"},
    {"pg_chr(1114112)", "", "ERR 54000"},
    {"pg_to_hex(-1)", "", "ffffffff"},
    {"pg_to_hex(255)", "", "ff"},
    {"pg_to_hex(-9223372036854775808)", "", "8000000000000000"},
    {"pg_format('%s|%I|%L|%L|%%|%2$s|%-5s|%5s|', 'a', 'B c', NULL, 'it''s', 'x', 'y')", "", "a|\"B c\"|NULL|'it''s'|%|B c|     | it's|"},
    {"pg_format('%I', NULL)", "", "ERR 22004"},
    {"pg_format('%s %s', 'a')", "", "ERR 22023"},
    {"pg_format('%x', 1)", "", "ERR 22023"},
    {"pg_format('%*s|', 4, 'a')", "", "   a|"},
    {"pg_quote_ident('abc')", "", "abc"},
    {"pg_quote_ident('Abc')", "", "\"Abc\""},
    {"pg_quote_ident('select')", "", "\"select\""},
    {"pg_quote_ident('a\"b')", "", "\"a\"\"b\""},
    {"pg_quote_ident('user')", "", "\"user\""},
    {"pg_quote_ident('_x1')", "", "_x1"},
    {"pg_quote_ident('my_table2')", "", "my_table2"},
    {"pg_quote_literal('a''b')", "", "'a''b'"},
    {"pg_quote_nullable('a''b')", "", "'a''b'"},
    {"pg_quote_literal('a\\b')", "", "E'a\\\\b'"},
    {"pg_quote_nullable('a\\b')", "", "E'a\\\\b'"},
    {"pg_quote_literal(42)", "", "'42'"},
    {"pg_quote_nullable(42)", "", "'42'"},
    {"pg_quote_literal(NULL)", "", "NULL"},
    {"pg_quote_nullable(NULL)", "", "NULL"},
    {"pg_translate('12345', '143', 'ax')", "", "a2x5"},
    {"pg_encode(pg_cast('\\x00ff41', 'bytea'), 'hex')", "", "00ff41"},
    {"pg_encode(pg_cast('hello', 'bytea'), 'base64')", "", "aGVsbG8="},
    {"pg_encode(pg_cast('a\\000\\377b', 'bytea'), 'escape')", "", "a\\000\\377b"},
    {"pg_decode('aGVsbG8=', 'base64')", "", "\\x68656c6c6f"},
    {"pg_decode('41ff', 'hex')", "", "\\x41ff"},
    {"pg_decode('4', 'hex')", "", "ERR 22023"},
    {"pg_encode(pg_cast(pg_repeat('x', 100), 'bytea'), 'base64')", "", "eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4\neHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eA=="},
    {"pg_regexp_replace('hello world', 'o', 'X')", "", "hellX world"},
    {"pg_regexp_replace('hello world', 'o', 'X', 'g')", "", "hellX wXrld"},
    {"pg_regexp_replace('Hello', 'h', 'J', 'i')", "", "Jello"},
    {"pg_regexp_replace('abc123def45', '\\d+', '#', 'g')", "", "abc#def#"},
    {"pg_regexp_replace('foobar', '(o+)(b)', '<\\2\\1>')", "", "f<boo>ar"},
    {"pg_regexp_replace('aaa', 'a*', 'X', 'g')", "", "XX"},
    {"pg_regexp_replace('abc', '(', 'x')", "", "ERR 2201B"},
    {"pg_regexp_match('foobarbequebaz', '(bar)(beque)')", "", "{bar,beque}"},
    {"pg_regexp_match('foobar', 'x')", "", "NULL"},
    {"pg_regexp_match('abc', 'b')", "", "{b}"},
    {"pg_regexp_match('a,b c', '(\\w+),(\\w+)')", "", "{a,b}"},
    {"pg_regexp_like('Hello', '^h', 'i')", "b", "t"},
    {"pg_regexp_like('Hello', '^h')", "b", "f"},
    {"pg_regexp_count('abcabcab', 'ab')", "", "3"},
    {"pg_regexp_count('abcabcab', 'ab', 3)", "", "2"},
    {"pg_string_to_array('a,b,,c', ',')", "", "{a,b,\"\",c}"},
    {"pg_string_to_array('a,b,x', ',', 'x')", "", "{a,b,NULL}"},
    {"pg_string_to_array('abc', NULL)", "", "{a,b,c}"},
    {"pg_string_to_array('', ',')", "", "{}"},
    {"pg_string_to_array('a b,\"q\"', ',')", "", "{\"a b\",\"\\\"q\\\"\"}"},
    {"pg_array_to_string('{1,2,3}', ',')", "", "1,2,3"},
    {"pg_array_to_string('{a,NULL,\"b,c\"}', '-', '*')", "", "a-*-b,c"},
    {"pg_array_to_string('{a,NULL}', '-')", "", "a"},
    {"pg_to_char(pg_numeric('1234.5'), '9999.99')", "", " 1234.50"},
    {"pg_to_char(pg_numeric('-1234.5'), '9999.99')", "", "-1234.50"},
    {"pg_to_char(pg_numeric('1234.5'), 'FM9999.99')", "", "1234.5"},
    {"pg_to_char(pg_numeric('0.5'), '9.99')", "", "  .50"},
    {"pg_to_char(pg_numeric('0.5'), '0.99')", "", " 0.50"},
    {"pg_to_char(pg_numeric('12345'), '999')", "", " ###"},
    {"pg_to_char(pg_numeric('1234567'), '9,999,999')", "", " 1,234,567"},
    {"pg_to_char(pg_numeric('1234567'), 'FM9,999,999')", "", "1,234,567"},
    {"pg_to_char(pg_numeric('-5'), 'S999')", "", "  -5"},
    {"pg_to_char(pg_numeric('5'), 'S999')", "", "  +5"},
    {"pg_to_char(pg_numeric('-5'), '999MI')", "", "  5-"},
    {"pg_to_char(pg_numeric('-5'), '999PR')", "", "  <5>"},
    {"pg_to_char(pg_numeric('12'), '00000')", "", " 00012"},
    {"pg_to_char(pg_numeric('3.14159'), '9.99')", "", " 3.14"},
    {"pg_to_char(pg_numeric('1234.5'), 'FM9999.00')", "", "1234.50"},
    {"pg_to_char(pg_numeric('0'), '999')", "", "   0"},
    {"pg_to_char(pg_numeric('0'), 'FM999')", "", "0"},
    {"pg_to_char(pg_numeric('42'), 'FM999th')", "", "42nd"},
    {"pg_to_char(pg_numeric('1.5'), '9.9EEEE')", "", " 1.5e+00"},
    {"pg_to_char('2024-03-05 16:07:08.123456', 'YYYY-MM-DD HH24:MI:SS.US Day Mon')", "", "2024-03-05 16:07:08.123456 Tuesday   Mar"},
    {"pg_to_char('2024-03-05', 'DD/MM/YYYY')", "", "05/03/2024"},
    {"pg_to_char('1 day 02:03:04', 'HH24:MI:SS')", "", "02:03:04"},
    {"pg_to_number('12,454.8-', '99G999D9S')", "", "-12454.8"},
    {"pg_date_trunc('month', '2024-03-05 06:07:08.5')", "", "2024-03-01 00:00:00"},
    {"pg_date_trunc('day', '2024-03-05')", "", "2024-03-05 00:00:00+00"},
    {"pg_date_trunc('hour', '1 day 02:03:04')", "", "1 day 02:00:00"},
    {"pg_date_trunc('FOO', '2024-03-05 06:07:08')", "", "ERR 22023"},
    {"pg_date_trunc('week', '1 day')", "", "ERR 0A000"},
    {"pg_extract('year', '2024-03-05 06:07:08.5')", "", "2024"},
    {"pg_extract('second', '2024-03-05 06:07:08.5')", "", "8.500000"},
    {"pg_extract('epoch', '2024-03-05')", "", "1709596800"},
    {"pg_extract('hour', '2024-03-05')", "", "ERR 0A000"},
    {"pg_extract('foo', '1 day')", "", "ERR 22023"},
    {"pg_extract('epoch', '1 year 2 mons')", "", "36741600.000000"},
    {"pg_date_part('hour', '2024-03-05')", "", "0"},
    {"pg_date_part('epoch', '2024-03-05 06:07:08.5')", "", "1709618828.5"},
    {"pg_date_part('dow', '2024-03-05')", "", "2"},
    {"pg_age('2024-01-01', '2000-06-15 10:00:00')", "", "23 years 6 mons 15 days 14:00:00"},
    {"pg_make_date(2024, 2, 29)", "", "2024-02-29"},
    {"pg_make_date(2024, 13, 1)", "", "ERR 22008"},
    {"pg_make_date(-44, 3, 15)", "", "0044-03-15 BC"},
    {"pg_make_timestamp(2024, 1, 1, 23, 59, 59.5)", "", "2024-01-01 23:59:59.5"},
    {"pg_make_timestamp(2024, 1, 1, 25, 0, 0)", "", "ERR 22008"},
    {"pg_make_interval(1, 2, 3, 4, 5, 6, 7.5)", "", "1 year 2 mons 25 days 05:06:07.5"},
    {"pg_make_interval(0, 0, 0, 3)", "", "3 days"},
    {"pg_justify_hours('50 hours')", "", "2 days 02:00:00"},
    {"pg_justify_days('40 days')", "", "1 mon 10 days"},
    {"pg_justify_interval('1 mon -40 days -50 hours')", "", "-12 days -02:00:00"},
    {"pg_to_timestamp(1709618828.5)", "", "2024-03-05 06:07:08.5+00"},
    {"pg_to_timestamp('2024-03-05 10:11:12', 'YYYY-MM-DD HH24:MI:SS')", "", "2024-03-05 10:11:12+00"},
    {"pg_to_timestamp('3/5/24 1:02 PM', 'MM/DD/YY HH:MI AM')", "", "2024-03-05 13:02:00+00"},
    {"pg_to_date('05 Mar 2024', 'DD Mon YYYY')", "", "2024-03-05"},
    {"pg_to_date('20240305', 'YYYYMMDD')", "", "2024-03-05"},
    {"pg_isfinite('infinity')", "b", "f"},
    {"pg_isfinite('2024-01-01 00:00:00')", "b", "t"},
    {"pg_typeof(1)", "", "integer"},
    {"pg_typeof(10000000000)", "", "bigint"},
    {"pg_typeof(pg_numeric('1.5'))", "", "numeric"},
    {"pg_typeof(1.5e0)", "", "double precision"},
    {"pg_format_type(1043, 9)", "", "character varying(5)"},
    {"pg_format_type(1700, 655366)", "", "numeric(10,2)"},
    {"pg_format_type(23, NULL)", "", "integer"},
    {"pg_current_schema()", "", "public"},
    {"pg_current_schemas(1)", "", "{pg_catalog,public}"},
    {"pg_num_nulls(1, NULL, 2)", "", "1"},
    {"pg_num_nonnulls(1, NULL, 2)", "", "2"},
    {"coalesce(NULL, 2, 3)", "", "2"},
    {"nullif(1, 1)", "", "NULL"},
    {"(select pg_sum(column1) from (values (1), (2), (3), (4)))", "", "10"},
    {"(select pg_avg(column1) from (values (1), (2), (3), (4)))", "", "2.5000000000000000"},
    {"(select pg_sum(column1) from (values (9223372036854775807), (1)))", "", "9223372036854775808"},
    {"(select pg_avg(column1) from (values (9223372036854775807), (9223372036854775807)))", "", "9223372036854775807"},
    {"(select pg_sum(column1) from (values (pg_numeric('1.5')), (pg_numeric('2.25')), (NULL)))", "", "3.75"},
    {"(select pg_avg(column1) from (values (pg_numeric('1.5')), (pg_numeric('2.25'))))", "", "1.8750000000000000"},
    {"(select pg_sum(column1) from (values (1.5e0), (2.5e0)))", "", "4"},
    {"(select pg_avg(column1) from (values (1.5e0), (2.5e0)))", "", "2"},
    {"(select pg_sum(column1) from (values (NULL), (NULL)))", "", "NULL"},
    {"(select pg_sum(column1) from (values ('1 day'), ('02:00:00')))", "", "1 day 02:00:00"},
    {"(select pg_avg(column1) from (values ('1 day'), ('02:00:00')))", "", "13:00:00"},
    {"(select pg_min(column1) from (values (pg_numeric('9.5')), (pg_numeric('10')), (pg_numeric('-1.25'))))", "", "-1.25"},
    {"(select pg_max(column1) from (values (pg_numeric('9.5')), (pg_numeric('10')), (pg_numeric('-1.25'))))", "", "10"},
    {"(select pg_max(column1) from (values ('b'), ('a'), (NULL)))", "", "b"},
    {"(select pg_string_agg(column1, ',') from (values ('a'), ('b,c'), (NULL), (''), ('\"q\"')))", "", "a,b,c,,\"q\""},
    {"(select pg_array_agg(column1) from (values ('a'), ('b,c'), (NULL), (''), ('\"q\"')))", "", "{a,\"b,c\",NULL,\"\",\"\\\"q\\\"\"}"},
    {"(select pg_array_agg(column1) from (values (1), (2), (3), (4)))", "", "{1,2,3,4}"},
    {"(select pg_bool_and(column1) from (values (1), (0), (NULL)))", "b", "f"},
    {"(select pg_bool_or(column1) from (values (1), (0), (NULL)))", "b", "t"},
    {"(select pg_stddev_samp(column1) from (values (1), (2), (4)))", "", "1.5275252316519467"},
    {"(select pg_stddev_samp(column1) from (values (pg_numeric('1.5')), (pg_numeric('2.5')), (pg_numeric('3.25'))))", "", "0.87797114607106157070"},
    {"(select pg_stddev_samp(column1) from (values (1e0), (2e0), (4e0)))", "", "1.5275252316519468"},
    {"(select pg_stddev_samp(column1) from (values (5)))", "", "NULL"},
    {"(select pg_stddev_pop(column1) from (values (1), (2), (4)))", "", "1.2472191289246471"},
    {"(select pg_stddev_pop(column1) from (values (pg_numeric('1.5')), (pg_numeric('2.5')), (pg_numeric('3.25'))))", "", "0.71686043892021889764"},
    {"(select pg_stddev_pop(column1) from (values (1e0), (2e0), (4e0)))", "", "1.247219128924647"},
    {"(select pg_stddev_pop(column1) from (values (5)))", "", "0"},
    {"(select pg_var_samp(column1) from (values (1), (2), (4)))", "", "2.3333333333333333"},
    {"(select pg_var_samp(column1) from (values (pg_numeric('1.5')), (pg_numeric('2.5')), (pg_numeric('3.25'))))", "", "0.77083333333333333333"},
    {"(select pg_var_samp(column1) from (values (1e0), (2e0), (4e0)))", "", "2.3333333333333335"},
    {"(select pg_var_samp(column1) from (values (5)))", "", "NULL"},
    {"(select pg_var_pop(column1) from (values (1), (2), (4)))", "", "1.5555555555555556"},
    {"(select pg_var_pop(column1) from (values (pg_numeric('1.5')), (pg_numeric('2.5')), (pg_numeric('3.25'))))", "", "0.51388888888888888889"},
    {"(select pg_var_pop(column1) from (values (1e0), (2e0), (4e0)))", "", "1.5555555555555556"},
    {"(select pg_var_pop(column1) from (values (5)))", "", "0"},
    {"(select group_concat(s) from (select pg_sum(column1) over (order by column1 rows between 1 preceding and current row) as s from (values (1), (2), (3), (4))))", "", "1,3,5,7"},
    {"(select group_concat(s, '|') from (select pg_avg(column1) over (order by column1) as s from (values (1), (2), (3), (4))))", "", "1.00000000000000000000|1.5000000000000000|2.0000000000000000|2.5000000000000000"},
    {"pg_to_char(pg_numeric('5'), '999PR')", "", "   5 "},
    {"pg_to_char(pg_numeric('-5'), 'FM999PR')", "", "<5>"},
    {"pg_to_char(pg_numeric('1234.5'), 'FM9999.99')", "", "1234.5"},
    {"pg_to_char(pg_numeric('1234'), 'FM9999.99')", "", "1234."},
    {"pg_to_char(pg_numeric('0.5'), 'FM9.99')", "", ".5"},
    {"pg_to_char(pg_numeric('0.5'), 'FM0.99')", "", "0.5"},
    {"pg_to_char(pg_numeric('42'), '999TH')", "", "  42ND"},
    {"pg_to_char(pg_numeric('-0.5'), '9.99')", "", " -.50"},
    {"pg_to_char(pg_numeric('-1234.5'), 'S9999.9')", "", "-1234.5"},
    {"pg_to_char(pg_numeric('1234.5'), '9999.9S')", "", "1234.5+"},
    {"pg_to_char(pg_numeric('12'), '9 9 9')", "", "   1 2"},
    {"pg_to_char(pg_numeric('-12'), 'SG999')", "", "- 12"},
    {"pg_to_char(pg_numeric('12'), 'PL999')", "", "+  12"},
    {"pg_to_char(pg_numeric('1234.567'), '9999D99')", "", " 1234.57"},
    {"pg_to_char(pg_numeric('12345.6'), '99G999D9')", "", " 12,345.6"},
    {"pg_to_char(pg_numeric('0'), '9.99')", "", "  .00"},
    {"pg_to_char(pg_numeric('0'), 'FM9.99')", "", "0."},
    {"pg_to_char(pg_numeric('123'), '0009')", "", " 0123"},
    {"pg_to_char(pg_numeric('-123.456'), 'FM999.999')", "", "-123.456"},
    {"pg_to_char(pg_numeric('-0.000123'), '9.99EEEE')", "", "-1.23e-04"},
    {"pg_to_char(pg_numeric('5'), 'V99')", "", " ##"},
    {"pg_to_char(pg_numeric('5'), '9V99')", "", " 500"},
    {"pg_to_char(pg_numeric('123.45'), '\"$\"999.99')", "", "$ 123.45"},
    {"pg_to_char(pg_numeric('21'), 'FM99th')", "", "21st"},
    {"pg_to_char(pg_numeric('11'), 'FM99th')", "", "11th"},
    {"pg_to_char(pg_numeric('-7'), 'FM9MI')", "", "7-"},
    {"pg_to_char(pg_numeric('7'), 'MI9')", "", " 7"},
    {"pg_to_char(pg_numeric('-1234.5'), 'FM9,999.00')", "", "-1,234.50"},
    {"pg_to_char(pg_numeric('1234.5'), '99')", "", " ##"},
    {"pg_to_char(1234, '9,999')", "", " 1,234"},
    {"pg_to_char(1234.5e0, '9999.9')", "", " 1234.5"},
    {"pg_to_char(pg_numeric('1'), '9.9.9')", "", "ERR 42601"},
    {"(select group_concat(coalesce(s, 'NULL'), '|') from (select pg_min_w(column1) over (order by column1) as s from (values (3, 'a'), (1, 'b'), (2, 'c'), (5, 'd'), (4, 'e'))))", "", "1|1|1|1|1"},
    {"(select group_concat(coalesce(s, 'NULL'), '|') from (select pg_min_w(column1) over (order by column1 rows between 1 preceding and 1 following) as s from (values (3, 'a'), (1, 'b'), (2, 'c'), (5, 'd'), (4, 'e'))))", "", "1|1|2|3|4"},
    {"(select group_concat(coalesce(s, 'NULL'), '|') from (select pg_max_w(column1) over (order by column1) as s from (values (3, 'a'), (1, 'b'), (2, 'c'), (5, 'd'), (4, 'e'))))", "", "1|2|3|4|5"},
    {"(select group_concat(coalesce(s, 'NULL'), '|') from (select pg_max_w(column1) over (order by column1 rows between 1 preceding and 1 following) as s from (values (3, 'a'), (1, 'b'), (2, 'c'), (5, 'd'), (4, 'e'))))", "", "2|3|4|5|5"},
    {"(select group_concat(coalesce(s, 'NULL'), '|') from (select pg_string_agg_w(column2, ',') over (order by column1) as s from (values (3, 'a'), (1, 'b'), (2, 'c'), (5, 'd'), (4, 'e'))))", "", "b|b,c|b,c,a|b,c,a,e|b,c,a,e,d"},
    {"(select group_concat(coalesce(s, 'NULL'), '|') from (select pg_string_agg_w(column2, ',') over (order by column1 rows between 1 preceding and 1 following) as s from (values (3, 'a'), (1, 'b'), (2, 'c'), (5, 'd'), (4, 'e'))))", "", "b,c|b,c,a|c,a,e|a,e,d|e,d"},
    {"(select group_concat(coalesce(s, 'NULL'), '|') from (select pg_array_agg_w(column1) over (order by column1) as s from (values (3, 'a'), (1, 'b'), (2, 'c'), (5, 'd'), (4, 'e'))))", "", "{1}|{1,2}|{1,2,3}|{1,2,3,4}|{1,2,3,4,5}"},
    {"(select group_concat(coalesce(s, 'NULL'), '|') from (select pg_array_agg_w(column1) over (order by column1 rows between 1 preceding and 1 following) as s from (values (3, 'a'), (1, 'b'), (2, 'c'), (5, 'd'), (4, 'e'))))", "", "{1,2}|{1,2,3}|{2,3,4}|{3,4,5}|{4,5}"},
    {"(select group_concat(coalesce(s, 'NULL'), '|') from (select pg_bool_and_w(column1 > 2) over (order by column1) as s from (values (3, 'a'), (1, 'b'), (2, 'c'), (5, 'd'), (4, 'e'))))", "", "0|0|0|0|0"},
    {"(select group_concat(coalesce(s, 'NULL'), '|') from (select pg_bool_and_w(column1 > 2) over (order by column1 rows between 1 preceding and 1 following) as s from (values (3, 'a'), (1, 'b'), (2, 'c'), (5, 'd'), (4, 'e'))))", "", "0|0|0|1|1"},
    {"(select group_concat(coalesce(s, 'NULL'), '|') from (select pg_var_samp_w(column1) over (order by column1) as s from (values (3, 'a'), (1, 'b'), (2, 'c'), (5, 'd'), (4, 'e'))))", "", "NULL|0.50000000000000000000|1.00000000000000000000|1.6666666666666667|2.5000000000000000"},
    {"(select group_concat(coalesce(s, 'NULL'), '|') from (select pg_var_samp_w(column1) over (order by column1 rows between 1 preceding and 1 following) as s from (values (3, 'a'), (1, 'b'), (2, 'c'), (5, 'd'), (4, 'e'))))", "", "0.50000000000000000000|1.00000000000000000000|1.00000000000000000000|1.00000000000000000000|0.50000000000000000000"},
    {"(select group_concat(coalesce(s, 'NULL'), '|') from (select pg_stddev_pop_w(column1) over (order by column1) as s from (values (3, 'a'), (1, 'b'), (2, 'c'), (5, 'd'), (4, 'e'))))", "", "0|0.50000000000000000000|0.81649658092772603273|1.1180339887498948|1.4142135623730950"},
    {"(select group_concat(coalesce(s, 'NULL'), '|') from (select pg_stddev_pop_w(column1) over (order by column1 rows between 1 preceding and 1 following) as s from (values (3, 'a'), (1, 'b'), (2, 'c'), (5, 'd'), (4, 'e'))))", "", "0.50000000000000000000|0.81649658092772603273|0.81649658092772603273|0.81649658092772603273|0.50000000000000000000"},
    {"(select group_concat(s, '|') from (select pg_max_w(column1) over (partition by column1 % 2) as s from (values (3, 'a'), (1, 'b'), (2, 'c'), (5, 'd'), (4, 'e'))))", "", "4|4|5|5|5"},
    {"pg_substr('Thomas', '...$')", "", "mas"},
    {"pg_substr('Thomas', 'o(.)a')", "", "m"},
    {"pg_substr('Thomas', 'x')", "", "NULL"},
    {"pg_substr('Thomas', '3')", "", "omas"},
    {"pg_like('a%b', 'a!%b', '!')", "b", "t"},
    {"pg_like('a%b', 'a!%b', '')", "b", "f"},
    {"pg_cast('10:11:12.5', 'time')", "", "10:11:12.5"},
    {"pg_cast('10:11', 'time')", "", "10:11:00"},
    {"pg_cast('24:00:00', 'time')", "", "24:00:00"},
    {"pg_cast('2024-01-02 10:11:12', 'time')", "", "10:11:12"},
    {"pg_cast('1:02 pm', 'time')", "", "13:02:00"},
    {"pg_cast('25:30:00', 'time')", "", "01:30:00"},
    {"pg_cast('10:00:00+05', 'timetz')", "", "10:00:00+05"},
    {"pg_cast('10:00:00+05:30', 'timetz')", "", "10:00:00+05:30"},
    {"pg_cast('10:00', 'timetz')", "", "10:00:00+00"},
    {"pg_cast('10:00:00.123456', 'time(2)')", "", "10:00:00.12"},
    {"pg_cast('2024-01-02 10:00:00.5', 'timestamp(0)')", "", "2024-01-02 10:00:01"},
    {"pg_cast('2024-01-02 10:00:00.55', 'timestamptz(1)')", "", "2024-01-02 10:00:00.6+00"},
    {"pg_cast('2024-01-02 10:00:00+05', 'timestamptz')", "", "2024-01-02 05:00:00+00"},
    {"pg_cast('2024-01-02 10:00:00', 'timestamptz')", "", "2024-01-02 10:00:00+00"},
    {"pg_cast('2024-01-02 10:00:00-08:00', 'timestamptz')", "", "2024-01-02 18:00:00+00"},
    {"pg_cast('0044-03-15 12:00:00 BC', 'timestamptz')", "", "0044-03-15 12:00:00+00 BC"},
    {"pg_cast('x', 'time')", "", "ERR 22007"},
    {"pg_cast('{1,2,3}', 'int4[]')", "", "{1,2,3}"},
    {"pg_cast('{1.50, 2}', 'numeric[]')", "", "{1.50,2}"},
    {"pg_cast('{t,false}', 'bool[]')", "", "{t,f}"},
    {"pg_cast('{a,\"b c\",NULL}', 'text[]')", "", "{a,\"b c\",NULL}"},
    {"pg_cast('{1,x}', 'int4[]')", "", "ERR 22P02"},
    {"pg_cast('{1,99999}', 'int2[]')", "", "ERR 22003"},
    {"pg_cast('{2024-01-02}', 'date[]')", "", "{2024-01-02}"},
    {"pg_cast('{1.5,2}', 'float8[]')", "", "{1.5,2}"},
    {"pg_cast('{}', 'int4[]')", "", "{}"},
    {"pg_cast('1,2', 'int4[]')", "", "ERR 22P02"},
    {"pg_add(pg_cast('2024-01-02 10:00:00+00', 'timestamptz'), '1 day')", "", "2024-01-03 10:00:00+00"},
    {"pg_sub('2024-01-03 10:00:00+00', '2024-01-02 09:00:00+05')", "", "1 day 06:00:00"},
    {"pg_date_trunc('day', '2024-01-02 10:00:00+00')", "", "2024-01-02 00:00:00+00"},
    {"pg_extract('epoch', '2024-01-02 10:00:00+05')", "", "1704171600.000000"},
    {"pg_cast(pg_add('23:00:00', '2 hours'), 'time')", "", "01:00:00"},
    {"pg_sub('10:00:00', '08:30:00')", "", "01:30:00"},
    {"pg_add('2024-01-02', '10:00:00')", "", "2024-01-02 10:00:00"},
    {"pg_cast('-1 hour', 'time')", "", "23:00:00"},
    {"pg_cast('1.55 seconds', 'interval(1)')", "", "00:00:01.6"},
    {"pg_cast(pg_cast('2024-01-02 10:00:00+00', 'timestamptz'), 'timestamp')", "", "2024-01-02 10:00:00"},
    {"pg_cast(pg_cast('2024-01-02 10:00:00', 'timestamp'), 'timestamptz')", "", "2024-01-02 10:00:00+00"},
    {"pg_cast('{\"b\":1,\"a\":2,\"aa\":[1,2.50,1e3,-0,{}],\"a\":3}', 'jsonb')", "", "{\"a\": 3, \"b\": 1, \"aa\": [1, 2.50, 1000, 0, {}]}"},
    {"pg_cast('{\"b\":1,\"a\":2,\"aa\":[1,2.50,1e3,-0,{}],\"a\":3}', 'json')", "", "{\"b\":1,\"a\":2,\"aa\":[1,2.50,1e3,-0,{}],\"a\":3}"},
    {"pg_cast('\"\\u00e9\\n\\t/\\\\\"', 'jsonb')", "", "\"é\\n\\t/\\\\\""},
    {"pg_cast('[]', 'jsonb')", "", "[]"},
    {"pg_cast('{\"x\": {\"y\": [true, false, null]}}', 'jsonb')", "", "{\"x\": {\"y\": [true, false, null]}}"},
    {"pg_cast(' 1E+2 ', 'jsonb')", "", "100"},
    {"pg_cast('\"\\ud83d\\ude00\"', 'jsonb')", "", "\"😀\""},
    {"pg_cast('\"a\\u0001b\"', 'jsonb')", "", "\"a\\u0001b\""},
    {"pg_cast('\"\\u0000\"', 'jsonb')", "", "ERR 22P05"},
    {"pg_cast('{\"a\":}', 'jsonb')", "", "ERR 22P02"},
    {"pg_cast('[1,2', 'jsonb')", "", "ERR 22P02"},
    {"pg_cast('{\"\":1, \"b\":{}}', 'jsonb')", "", "{\"\": 1, \"b\": {}}"},
    {"pg_json_get('{\"a\":{\"b\":[10,20]},\"s\":\"x\\\"y\",\"n\":null}', 'a')", "", "{\"b\":[10,20]}"},
    {"pg_json_get_text('{\"a\":{\"b\":[10,20]},\"s\":\"x\\\"y\",\"n\":null}', 'a')", "", "{\"b\":[10,20]}"},
    {"pg_json_get('{\"a\":{\"b\":[10,20]},\"s\":\"x\\\"y\",\"n\":null}', 's')", "", "\"x\\\"y\""},
    {"pg_json_get_text('{\"a\":{\"b\":[10,20]},\"s\":\"x\\\"y\",\"n\":null}', 's')", "", "x\"y"},
    {"pg_json_get('{\"a\":{\"b\":[10,20]},\"s\":\"x\\\"y\",\"n\":null}', 'n')", "", "null"},
    {"pg_json_get_text('{\"a\":{\"b\":[10,20]},\"s\":\"x\\\"y\",\"n\":null}', 'n')", "", "NULL"},
    {"pg_json_get('{\"a\":{\"b\":[10,20]},\"s\":\"x\\\"y\",\"n\":null}', 'zz')", "", "NULL"},
    {"pg_json_get_text('{\"a\":{\"b\":[10,20]},\"s\":\"x\\\"y\",\"n\":null}', 'zz')", "", "NULL"},
    {"pg_json_get('[1,2,3]', -1)", "", "3"},
    {"pg_json_get('[1,2,3]', 5)", "", "NULL"},
    {"pg_json_get_text('[\"a\",\"b\"]', 1)", "", "b"},
    {"pg_json_path('{\"a\":{\"b\":[10,20]},\"s\":\"x\\\"y\",\"n\":null}', '{a,b,1}')", "", "20"},
    {"pg_json_path_text('{\"a\":{\"b\":[10,20]},\"s\":\"x\\\"y\",\"n\":null}', '{a,b}')", "", "[10,20]"},
    {"pg_json_path('{\"a\":{\"b\":[10,20]},\"s\":\"x\\\"y\",\"n\":null}', '{a,x}')", "", "NULL"},
    {"pg_json_typeof('{}')", "", "object"},
    {"pg_json_typeof('[1]')", "", "array"},
    {"pg_json_typeof('\"s\"')", "", "string"},
    {"pg_json_typeof('1.5')", "", "number"},
    {"pg_json_typeof('true')", "", "boolean"},
    {"pg_json_typeof('null')", "", "null"},
    {"pg_json_array_length('[1,[2,3],{}]')", "", "3"},
    {"pg_json_array_length('{}')", "", "ERR 22023"},
    {"pg_json_build_object('a', 1, 'b', 'x', 'c', NULL, 'd', 2.5e0, 'e', pg_numeric('1.50'))", "", "{\"a\" : 1, \"b\" : \"x\", \"c\" : null, \"d\" : 2.5, \"e\" : 1.50}"},
    {"pg_jsonb_build_object('b', 1, 'a', 'x\"y')", "", "{\"a\": \"x\\\"y\", \"b\": 1}"},
    {"pg_json_build_array(1, 'a', NULL, pg_numeric('2.0'))", "", "[1, \"a\", null, 2.0]"},
    {"pg_to_json('a\"b')", "", "\"a\\\"b\""},
    {"pg_to_json(5)", "", "5"},
    {"pg_to_jsonb(pg_numeric('1.50'))", "", "1.50"},
    /* convert_to / convert_from: UTF8 only (the database's encoding) */
    {"pg_convert_to('é', 'UTF8')", "", "\\xc3a9"},
    {"pg_convert_from(pg_convert_to('日本', 'utf8'), 'UTF8')", "", "日本"},
    {"pg_convert_from(X'ff', 'UTF8')", "", "ERR 22021"},
    {"pg_convert_from(X'eda080', 'UTF8')", "", "ERR 22021"},
    {"pg_convert_to('a', 'LATIN9')", "", "ERR 0A000"},
};

/* 2024-03-05 06:07:08.5 UTC */
#define FUNC_NOW_US INT64_C(1709618828500000)

static sqlite3 *func_open(struct sql_func_env *env)
{
    sqlite3 *db = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK)
        return NULL;
    struct errbuf eb;
    if (sql_func_register(db, env, &eb) != 0) {
        fprintf(stderr, "register: %s\n", eb.msg);
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

/* Runs SELECT expr; writes the first column as PostgreSQL text, "NULL", or "ERR <sqlstate>". */
static void func_eval(sqlite3 *db, const char *expr, const char *hint, char *out, size_t cap)
{
    char sql[4096];
    snprintf(sql, sizeof(sql), "SELECT %s", expr);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        const char *msg = sqlite3_errmsg(db);
        if (strlen(msg) > 7 && msg[5] == ':' && msg[6] == ' ')
            snprintf(out, cap, "ERR %.5s", msg);
        else
            snprintf(out, cap, "ERR sqlite: %s", msg);
        sqlite3_finalize(st);
        return;
    }
    sqlite3_value *v = sqlite3_column_value(st, 0);
    if (sqlite3_value_type(v) == SQLITE_NULL) {
        snprintf(out, cap, "NULL");
    } else {
        enum sql_pg_type t = strcmp(hint, "b") == 0    ? SQL_PG_BOOL
                             : strcmp(hint, "f4") == 0 ? SQL_PG_FLOAT4
                                                       : SQL_PG_UNKNOWN;
        struct buf b = BUF_INIT;
        if (sql_value_to_pg_text(v, t, &b) != 0)
            snprintf(out, cap, "ERR nomem");
        else
            snprintf(out, cap, "%.*s", (int)b.len, b.data ? (const char *)b.data : "");
        buf_free(&b);
    }
    sqlite3_finalize(st);
}

TEST(functions_match_postgresql)
{
    struct sql_func_env env = {FUNC_NOW_US, 42, NULL, NULL};
    sqlite3 *db = func_open(&env);
    CHECK(db != NULL);
    static char got[8192];
    int failed = 0;
    for (size_t i = 0; i < sizeof(func_cases) / sizeof(func_cases[0]); i++) {
        const struct func_case *c = &func_cases[i];
        func_eval(db, c->expr, c->hint, got, sizeof(got));
        if (strcmp(got, c->expect) != 0) {
            fprintf(stderr, "  %s: got '%s', PostgreSQL '%s'\n", c->expr, got, c->expect);
            failed++;
        }
    }
    sqlite3_close(db);
    CHECK_EQ(failed, 0);
}

static void func_check(sqlite3 *db, const char *expr, const char *hint, const char *expect,
                       int *failed)
{
    char got[1024];
    func_eval(db, expr, hint, got, sizeof(got));
    if (strcmp(got, expect) != 0) {
        fprintf(stderr, "  %s: got '%s', want '%s'\n", expr, got, expect);
        (*failed)++;
    }
}

/* now() and friends come from the environment, and follow it between statements. */
TEST(functions_time_comes_from_env)
{
    struct sql_func_env env = {FUNC_NOW_US, 1, "alice", "shop"};
    sqlite3 *db = func_open(&env);
    CHECK(db != NULL);
    int failed = 0;
    func_check(db, "pg_now()", "", "2024-03-05 06:07:08.5+00", &failed);
    func_check(db, "pg_localtimestamp()", "", "2024-03-05 06:07:08.5", &failed);
    func_check(db, "pg_current_date()", "", "2024-03-05", &failed);
    func_check(db, "pg_cast('today', 'date')", "", "2024-03-05", &failed);
    func_check(db, "pg_cast('now', 'timestamp')", "", "2024-03-05 06:07:08.5", &failed);
    func_check(db, "pg_age('2024-03-01')", "", "4 days", &failed);
    func_check(db, "pg_current_user()", "", "alice", &failed);
    func_check(db, "pg_current_database()", "", "shop", &failed);
    env.now_us += 86400 * INT64_C(1000000);
    func_check(db, "pg_current_date()", "", "2024-03-06", &failed);
    env.user = NULL;
    func_check(db, "pg_current_user()", "", "postgres", &failed);
    sqlite3_close(db);
    CHECK_EQ(failed, 0);
}

/* random() is a function of the seed: the same seed replays the same sequence. */
TEST(functions_random_is_seeded)
{
    struct sql_func_env env = {FUNC_NOW_US, 7, NULL, NULL};
    sqlite3 *db = func_open(&env);
    CHECK(db != NULL);
    char a[64], b[64], c[64], d[64];
    func_eval(db, "pg_random()", "", a, sizeof(a));
    func_eval(db, "pg_random()", "", b, sizeof(b));
    CHECK(strcmp(a, b) != 0);
    env.random_seed = 8;
    func_eval(db, "pg_random()", "", c, sizeof(c));
    env.random_seed = 7;
    func_eval(db, "pg_random()", "", d, sizeof(d));
    CHECK_STR(a, d);
    double x = atof(a);
    CHECK(x >= 0.0 && x < 1.0);
    sqlite3_close(db);
}

/* The pg_numeric collation orders numeric text numerically, in indexes too. */
TEST(functions_numeric_collation)
{
    struct sql_func_env env = {FUNC_NOW_US, 1, NULL, NULL};
    sqlite3 *db = func_open(&env);
    CHECK(db != NULL);
    CHECK(sqlite3_exec(db,
                       "CREATE TABLE t(n NUMERIC_TEXT(10,2) COLLATE pg_numeric UNIQUE);"
                       "INSERT INTO t VALUES ('10.00'), ('9.50'), ('-1.25'), ('100.00');",
                       NULL, NULL, NULL) == SQLITE_OK);
    int failed = 0;
    func_check(db, "group_concat(n, ' ') FROM (SELECT n FROM t ORDER BY n)", "",
               "-1.25 9.50 10.00 100.00", &failed);
    func_check(db, "count(*) FROM t WHERE n > 9.6", "", "2", &failed);
    func_check(db, "count(*) FROM t WHERE n = '9.5'", "", "1", &failed);
    /* 9.5 and 9.50 are the same numeric: the unique index refuses it */
    CHECK(sqlite3_exec(db, "INSERT INTO t VALUES ('9.5')", NULL, NULL, NULL) == SQLITE_CONSTRAINT);
    sqlite3_close(db);
    CHECK_EQ(failed, 0);
}

TEST(functions_lookup)
{
    bool agg = true;
    CHECK_STR(sql_func_lookup("abs", 1, &agg), "pg_abs");
    CHECK(!agg);
    CHECK_STR(sql_func_lookup("sum", 1, &agg), "pg_sum");
    CHECK(agg);
    CHECK_STR(sql_func_lookup("count", 1, &agg), "count");
    CHECK(agg);
    CHECK_STR(sql_func_lookup("pg_catalog.format_type", 2, &agg), "pg_format_type");
    CHECK(sql_func_lookup("abs", 2, &agg) == NULL);
    CHECK(sql_func_lookup("no_such_function", 1, &agg) == NULL);
    CHECK_STR(sql_func_lookup("concat", 5, NULL), "pg_concat");
    CHECK_STR(sql_func_lookup_window("max", 1), "pg_max_w");
    CHECK_STR(sql_func_lookup_window("sum", 1), "pg_sum");
    CHECK_STR(sql_func_lookup_window("count", 0), "count");
    CHECK_STR(sql_func_lookup_window("row_number", 0), "row_number");
    CHECK_STR(sql_func_lookup_window("lag", 3), "lag");
    CHECK(sql_func_lookup_window("abs", 1) == NULL);
    CHECK(sql_func_lookup_window("lag", 4) == NULL);
    /* every name the table gives is registered */
    struct sql_func_env env = {FUNC_NOW_US, 1, NULL, NULL};
    sqlite3 *db = func_open(&env);
    CHECK(db != NULL);
    static const char *const names[] = {"abs", "round", "substr", "lpad", "regexp_replace",
                                        "string_agg", "date_trunc", "extract", "now",
                                        "format_type", "to_char", "make_interval"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        for (int n = 0; n <= 7; n++) {
            const char *impl = sql_func_lookup(names[i], n, NULL);
            if (impl == NULL)
                continue;
            char sql[128];
            snprintf(sql, sizeof(sql), "SELECT 1 FROM pragma_function_list WHERE name = '%s'",
                     impl);
            sqlite3_stmt *st;
            CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK);
            CHECK(sqlite3_step(st) == SQLITE_ROW);
            sqlite3_finalize(st);
        }
    }
    sqlite3_close(db);
}

TEST(functions_value_text_and_types)
{
    char text[SQL_FLOAT_TEXT_BYTES_MAX];
    /* PostgreSQL 15: select 0.1::float8, 1e20::float8, 3::float8, 1e15::float8,
     * 123456789012345::float8, 1.5e-5::float8, -0::float8, 0.1::float4, 1e6::float4 */
    sql_format_float8(0.1, text);
    CHECK_STR(text, "0.1");
    sql_format_float8(1e20, text);
    CHECK_STR(text, "1e+20");
    sql_format_float8(3.0, text);
    CHECK_STR(text, "3");
    sql_format_float8(1e15, text);
    CHECK_STR(text, "1e+15");
    sql_format_float8(123456789012345.0, text);
    CHECK_STR(text, "123456789012345");
    sql_format_float8(1.5e-5, text);
    CHECK_STR(text, "1.5e-05");
    sql_format_float8(-0.0, text);
    CHECK_STR(text, "-0");
    sql_format_float4(0.1f, text);
    CHECK_STR(text, "0.1");
    sql_format_float4(1e6f, text);
    CHECK_STR(text, "1e+06");
    CHECK_EQ(sql_pg_type_from_decltype("NUMERIC_TEXT(10,2)"), SQL_PG_NUMERIC);
    CHECK_EQ(sql_pg_type_from_decltype("bool_int"), SQL_PG_BOOL);
    CHECK_EQ(sql_pg_type_from_decltype("VARCHAR(5)"), SQL_PG_VARCHAR);
    CHECK_EQ(sql_pg_type_from_decltype("TIMESTAMPTZ_TEXT"), SQL_PG_TIMESTAMPTZ);
    CHECK_EQ(sql_pg_type_from_decltype("TIMESTAMP_TEXT"), SQL_PG_TIMESTAMP);
    CHECK_EQ(sql_pg_type_from_decltype("TIME_TEXT"), SQL_PG_TIME);
    CHECK_EQ(sql_pg_type_oid(SQL_PG_TIMETZ), 1266);
    CHECK_EQ(sql_pg_type_from_decltype("INT8"), SQL_PG_INT8);
    CHECK_EQ(sql_pg_type_from_decltype("INTEGER"), SQL_PG_UNKNOWN);
    CHECK_EQ(sql_pg_type_from_decltype(NULL), SQL_PG_UNKNOWN);
    CHECK_EQ(sql_pg_type_oid(SQL_PG_NUMERIC), 1700);
    CHECK_EQ(sql_pg_type_oid(SQL_PG_TIMESTAMP), 1114);
    CHECK_STR(sql_pg_type_name(SQL_PG_VARCHAR), "character varying");
    struct sql_func_env env = {FUNC_NOW_US, 1, NULL, NULL};
    sqlite3 *db = func_open(&env);
    CHECK(db != NULL);
    int failed = 0;
    func_check(db, "1", "b", "t", &failed);
    func_check(db, "0", "b", "f", &failed);
    func_check(db, "x'0aff'", "", "\\x0aff", &failed);
    func_check(db, "0.1", "f4", "0.1", &failed);
    sqlite3_close(db);
    CHECK_EQ(failed, 0);
}

/* Shortest round-trip float text agrees with PostgreSQL on values PostgreSQL printed. */
TEST(functions_float_text_round_trips)
{
    uint64_t x = 88172645463325252ull;
    char text[SQL_FLOAT_TEXT_BYTES_MAX];
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        memcpy(&d, &x, sizeof(d));
        if (d != d)
            continue;
        sql_format_float8(d, text);
        double back = strtod(text, NULL);
        CHECK(back == d || (d == 0 && back == 0));
    }
}


#ifndef FZ_ITERS
#define FZ_ITERS 3000
#endif

/* A deterministic generator of short hostile strings for the parsers. */
#ifndef FZ_SEED
#define FZ_SEED 0x9E3779B97F4A7C15ull
#endif
static uint64_t fz_state = FZ_SEED;

static uint64_t fz_next(void)
{
    fz_state ^= fz_state << 13;
    fz_state ^= fz_state >> 7;
    fz_state ^= fz_state << 17;
    return fz_state;
}

static size_t fz_string(char *out, size_t cap)
{
    static const char alphabet[] = "0123456789.-+eE :TtZ,'\"{}[]%_\\xabdfmnoprsuyAMPBCDHIMSY()$9G^*?|{}:[]";
    static const char *const words[] = {"day", "mon", "year", "hour", "NaN", "Infinity", "BC",
                                        "2024-01-02", "12:30:00", "1e5", "\\x", "\xc3\xa9",
                                        "\xe2\x82\xac", "\xff", "FM", "YYYY", "HH24", "%s",
                                        "%I", "%1$s", "(a|b)*", "ago", "P1Y", "epoch"};
    size_t n = fz_next() % 24, len = 0;
    for (size_t i = 0; i < n && len + 12 < cap; i++) {
        if (fz_next() % 4 == 0) {
            const char *w = words[fz_next() % (sizeof(words) / sizeof(words[0]))];
            size_t l = strlen(w);
            memcpy(out + len, w, l);
            len += l;
        } else {
            out[len++] = alphabet[fz_next() % (sizeof(alphabet) - 1)];
        }
    }
    out[len] = '\0';
    return len;
}

/* Every function on garbage either answers or fails with a SQLSTATE; nothing crashes (the
 * suite runs under ASan and UBSan). */
TEST(functions_survive_garbage)
{
    struct sql_func_env env = {FUNC_NOW_US, 3, NULL, NULL};
    sqlite3 *db = func_open(&env);
    CHECK(db != NULL);
    static const char *const exprs[] = {
        "pg_cast(?1, 'int4')",          "pg_cast(?1, 'numeric(6,2)')",
        "pg_cast(?1, 'float8')",        "pg_cast(?1, 'date')",
        "pg_cast(?1, 'timestamp')",     "pg_cast(?1, 'interval')",
        "pg_cast(?1, 'bool')",          "pg_cast(?1, 'bytea')",
        "pg_cast(?1, 'json')",          "pg_cast(?1, 'uuid')",
        "pg_cast(?1, 'varchar(3)')",    "pg_cast(?1, ?2)",
        "pg_add(?1, ?2)",               "pg_sub(?1, ?2)",
        "pg_mul(?1, ?2)",               "pg_div(?1, ?2)",
        "pg_mod(?1, ?2)",               "pg_pow(?1, ?2)",
        "pg_cmp(?1, ?2)",               "pg_neg(?1)",
        "pg_to_char(?1, ?2)",           "pg_to_char(pg_numeric('-1234.5'), ?2)",
        "pg_to_char('2024-03-05 10:00:00', ?2)", "pg_to_date(?1, ?2)",
        "pg_to_timestamp(?1, ?2)",      "pg_format(?1, ?2, 3)",
        "pg_regexp_replace(?1, ?2, 'x', 'g')", "pg_regexp_match(?1, ?2)",
        "pg_like(?1, ?2)",              "pg_ilike(?1, ?2)",
        "pg_date_trunc(?2, ?1)",        "pg_extract(?2, ?1)",
        "pg_substr(?1, 2, 3)",          "pg_split_part(?1, ?2, 2)",
        "pg_string_to_array(?1, ?2)",   "pg_array_to_string(?1, ?2)",
        "pg_decode(?1, 'base64')",      "pg_decode(?1, 'escape')",
        "pg_round(?1, 2)",              "pg_sqrt(?1)",
        "pg_ln(?1)",                    "pg_exp(?1)",
        "pg_translate(?1, ?2, 'ab')",   "pg_justify_interval(?1)",
        "pg_numeric(?1)",               "pg_cast(?1, 'jsonb')",
        "pg_json_get(?1, ?2)",          "pg_json_path_text(?1, ?2)",
        "pg_cast(?1, 'int4[]')",        "pg_cast(?1, 'time')",
        "pg_cast(?1, 'timestamptz(2)')", "pg_cast(?1, 'timetz')",
    };
    sqlite3_stmt *st[sizeof(exprs) / sizeof(exprs[0])];
    for (size_t e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++) {
        char sql[256];
        snprintf(sql, sizeof(sql), "SELECT %s", exprs[e]);
        CHECK(sqlite3_prepare_v2(db, sql, -1, &st[e], NULL) == SQLITE_OK);
    }
    char a[512], b[512];
    for (int iter = 0; iter < FZ_ITERS; iter++) {
        size_t al = fz_string(a, sizeof(a)), bl = fz_string(b, sizeof(b));
        for (size_t e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++) {
            sqlite3_reset(st[e]);
            sqlite3_bind_text(st[e], 1, a, (int)al, SQLITE_STATIC);
            if (sqlite3_bind_parameter_count(st[e]) > 1)
                sqlite3_bind_text(st[e], 2, b, (int)bl, SQLITE_STATIC);
            int rc = sqlite3_step(st[e]);
            if (rc != SQLITE_ROW) {
                const char *msg = sqlite3_errmsg(db);
                /* a function error carries a SQLSTATE */
                if (!(strlen(msg) > 7 && msg[5] == ':' && msg[6] == ' ')) {
                    fprintf(stderr, "  %s with '%s', '%s': %s\n", exprs[e], a, b, msg);
                    CHECK(false);
                }
            }
        }
    }
    for (size_t e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++)
        sqlite3_finalize(st[e]);
    sqlite3_close(db);
}

/* The collation's fast path for plain decimals orders exactly as numeric comparison does. */
TEST(functions_collation_agrees_with_numeric)
{
    struct sql_numeric *x = malloc(2 * sizeof(*x));
    char a[64], b[64];
    for (int i = 0; i < 50000; i++) {
        char *bufs[2] = {a, b};
        for (int k = 0; k < 2; k++) {
            char *p = bufs[k];
            int n = 0;
            if (fz_next() % 3 == 0)
                p[n++] = '-';
            int ip = (int)(fz_next() % 6), fp = (int)(fz_next() % 6);
            for (int j = 0; j < ip; j++)
                p[n++] = (char)('0' + (j == 0 && fz_next() % 2 ? 0 : fz_next() % 10));
            if (fp > 0 || ip == 0) {
                p[n++] = '.';
                for (int j = 0; j < (fp ? fp : 1); j++)
                    p[n++] = (char)('0' + fz_next() % 3);
            }
            p[n] = '\0';
        }
        CHECK_EQ(sql_numeric_parse(a, strlen(a), &x[0]), 0);
        CHECK_EQ(sql_numeric_parse(b, strlen(b), &x[1]), 0);
        int want = sql_numeric_cmp(&x[0], &x[1]);
        int got = sql_fn_numeric_collate(NULL, (int)strlen(a), a, (int)strlen(b), b);
        got = got < 0 ? -1 : got > 0;
        if (got != want) {
            fprintf(stderr, "  '%s' vs '%s': collation %d, numeric %d\n", a, b, got, want);
            CHECK(false);
        }
    }
    free(x);
}

TEST_MAIN()
