SELECT abs(-1), length('x'), coalesce(NULL, 1), greatest(1, 2), now() IS NOT NULL, current_date IS NOT NULL, CASE WHEN true THEN 1 END;
