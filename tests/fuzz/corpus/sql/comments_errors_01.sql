SELECT 1 < 2 = true;
