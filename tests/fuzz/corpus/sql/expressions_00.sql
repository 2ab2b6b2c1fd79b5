SELECT id FROM ex WHERE (a, b) = (1, 2);
