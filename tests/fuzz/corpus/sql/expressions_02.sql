SELECT '123'::int + 1, 1::text || '2', '2024-05-06'::date + 1, 'true'::boolean AND true, '1.5'::float8 * 2;
