SELECT u.user_id, (SELECT count(*) FROM events e WHERE e.user_id = u.user_id AND e.amount > 120) AS big FROM users u WHERE u.user_id < 5 ORDER BY u.user_id;
