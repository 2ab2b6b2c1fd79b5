SELECT json_object_agg(id, id * 10 ORDER BY id) FROM docs WHERE id < 4;
